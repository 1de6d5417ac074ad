/**
 * GPT-2's reversible byte <-> unicode mapping. Every byte value gets a printable character, so BPE tokens
 * (sequences of bytes) can be stored as plain JSON strings in tokenizer.json. Printable Latin-1 bytes map to
 * themselves; the rest (control bytes, space, 0x7F-0xA0, 0xAD) map to U+0100 upwards, e.g. space -> 'Ġ'.
 */

function buildByteToUnicode(): string[] {
  const printable: number[] = [];
  const add = (from: number, to: number): void => {
    for (let b = from; b <= to; b++) printable.push(b);
  };
  add(0x21, 0x7e); // '!'..'~'
  add(0xa1, 0xac); // '¡'..'¬'
  add(0xae, 0xff); // '®'..'ÿ'
  const table = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + shifted++);
  }
  return table;
}

/** byte value -> its one-character stand-in. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/** one-character stand-in -> byte value. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

/** Byte-level string -> bytes, or undefined when a character is not a byte stand-in. */
export function byteLevelToBytes(token: string): Uint8Array | undefined {
  const bytes = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = UNICODE_TO_BYTE.get(token[i]);
    if (b === undefined) return undefined;
    bytes[i] = b;
  }
  return bytes;
}

const encoder = new TextEncoder();

/**
 * UTF-8 bytes of a string. Lone surrogates become U+FFFD (EF BF BD), exactly as TextEncoder does inside
 * transformers.js, so both sides see the same bytes for malformed UTF-16.
 */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}
