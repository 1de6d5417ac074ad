import { createHash } from 'node:crypto';
import { FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID } from '../../src/model/tokenizer';

/**
 * Fill-in-the-middle training examples in the exact form the completion prompt builder sends
 * (src/completion/prompt.ts): `<fim_prefix>` header + prefix `<fim_suffix>` suffix `<fim_middle>`, followed
 * here by the middle the model should write; the corpus puts `<|endoftext|>` after it (the next document's
 * separator), which is where generation stops.
 *
 * A file longer than the training context would put its prefix and its middle in different training windows,
 * so a FIM-chosen file is first cut at line boundaries into pieces of at most `maxPieceBytes`; every piece
 * becomes one example with the file's header line in front of its prefix (the prompt builder also keeps the
 * header and only the end of a long prefix).
 */
export interface FimOptions {
  /** Share of training files turned into FIM examples (chosen by a hash of package/path). */
  rate: number;
  /** Largest piece of a file one example is made from, in UTF-8 bytes. */
  maxPieceBytes: number;
  /** Longest middle, in lines. */
  maxMiddleLines: number;
}

export const DEFAULT_FIM_OPTIONS: FimOptions = { rate: 0.5, maxPieceBytes: 1400, maxMiddleLines: 8 };

/** The text pieces of one example. `prefix + middle + suffix` is the piece the example was cut from. */
export interface FimSpan {
  prefix: string;
  middle: string;
  suffix: string;
}

/** Encodes ordinary text (never producing special ids), like BpeTokenizer.encodeOrdinary. */
export type EncodeOrdinary = (text: string) => number[];

/** sha256(key) as a fraction in [0, 1): the same file is always chosen (or not), whatever else is in the corpus. */
export function keyFraction(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/** Whether the file `<package>/<path>` is trained in FIM form. */
export function isFimFile(documentKey: string, rate: number): boolean {
  return keyFraction(`fim:${documentKey}`) < rate;
}

/**
 * The lines of `text` (each keeping its `\n`) grouped into consecutive pieces of at most `maxBytes`; a single
 * longer line is a piece of its own. Concatenating the pieces gives back `text`.
 */
export function splitAtLines(text: string, maxBytes: number): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const pieces: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const line of lines) {
    const bytes = Buffer.byteLength(line);
    if (current !== '' && currentBytes + bytes > maxBytes) {
      pieces.push(current);
      current = '';
      currentBytes = 0;
    }
    current += line;
    currentBytes += bytes;
  }
  if (current !== '') pieces.push(current);
  return pieces;
}

/**
 * Cuts `piece` at line boundaries into prefix, middle (1 to maxMiddleLines whole lines) and suffix (at least
 * one line that is not blank, since the prompt builder only uses FIM when the suffix is not blank). The cut
 * is chosen by a hash of `seedKey`. Undefined when the piece has no such cut.
 */
export function fimSpan(piece: string, seedKey: string, maxMiddleLines: number): FimSpan | undefined {
  const lines = piece.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  // The middle may end before line `end` only if some later line is not blank.
  let lastContent = lines.length - 1;
  while (lastContent >= 0 && lines[lastContent].trim() === '') lastContent--;
  if (lastContent < 1) return undefined;
  const digest = createHash('sha256').update(`fim-span:${seedKey}`).digest();
  const start = digest.readUInt32BE(0) % lastContent; // 0 .. lastContent-1: the middle starts before the last content line
  const longest = Math.min(maxMiddleLines, lastContent - start);
  const length = 1 + (digest.readUInt32BE(4) % longest);
  return {
    prefix: lines.slice(0, start).join(''),
    middle: lines.slice(start, start + length).join(''),
    suffix: lines.slice(start + length).join(''),
  };
}

/** `<fim_prefix>` header+prefix `<fim_suffix>` suffix `<fim_middle>` middle, as token ids. */
export function fimExampleTokens(encode: EncodeOrdinary, header: string, span: FimSpan): number[] {
  return [FIM_PREFIX_ID, ...encode(header + span.prefix), FIM_SUFFIX_ID, ...encode(span.suffix), FIM_MIDDLE_ID, ...encode(span.middle)];
}

/**
 * The training token sequences for one file in FIM form, one per piece (pieces without a valid cut are
 * plain `header + piece`). The caller separates them with `<|endoftext|>`.
 */
export function fimDocumentTokens(encode: EncodeOrdinary, documentKey: string, header: string, text: string, options: FimOptions): number[][] {
  return splitAtLines(text, options.maxPieceBytes).map((piece, index) => {
    const span = fimSpan(piece, `${documentKey}#${index}`, options.maxMiddleLines);
    return span === undefined ? encode(header + piece) : fimExampleTokens(encode, header, span);
  });
}
