import { createHash } from 'node:crypto';
import { FIM_ORDERS, type FimOrder } from '../../src/engine/protocol';
import { isOneOf } from '../../src/validation/checks';
import { FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID } from '../../src/model/tokenizer';

/**
 * Fill-in-the-middle training examples in the exact form the completion prompt builder sends
 * (src/completion/prompt.ts), in either order (FimOrder), followed by the middle the model should write;
 * the corpus puts `<|endoftext|>` after it (the next document's separator), which is where generation stops.
 * - `spm` (the default): `<fim_prefix><fim_suffix>` suffix `<fim_middle>` header + prefix + middle, the last
 *   three encoded as one text. The middle continues the prefix as in a plain document, so the model's
 *   left-to-right skill carries over, and the cursor's token boundary is handled as for a prefix prompt (token
 *   healing at inference). embedded-v2/v3/v7 learned nothing from psm examples: after `<fim_middle>` the
 *   first token ignored where the prefix, a suffix's length back, had ended.
 * - `psm`: `<fim_prefix>` header + prefix `<fim_suffix>` suffix `<fim_middle>` middle, each encoded apart.
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
  order: FimOrder;
}

export const DEFAULT_FIM_OPTIONS: FimOptions = { rate: 0.5, maxPieceBytes: 1400, maxMiddleLines: 8, order: 'spm' };

/** The text pieces of one example. `prefix + middle + suffix` is the piece the example was cut from. */
export interface FimSpan {
  prefix: string;
  middle: string;
  suffix: string;
}

/** Encodes ordinary text (never producing special ids), like BpeTokenizer.encodeOrdinary. */
type EncodeOrdinary = (text: string) => number[];

/** sha256(key) as a fraction in [0, 1): the same file is always chosen (or not), whatever else is in the corpus. */
function keyFraction(key: string): number {
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
 * Where a FIM example's middle starts within its first line. The editor asks for a completion wherever the
 * cursor is: at a line start, after the indentation, or inside a line after some of it was typed.
 */
const START_AT_LINE_START = 0;
const START_AFTER_INDENT = 1;
// values 2 and 3 of `u32 % 4`: inside the line (half of the examples)

/**
 * Where it ends within its last line: before the line's `\n` (the editor's form: the rest of the line is
 * not typed yet, the suffix starts with `\n`), after it (the suffix starts at a line start), or inside it
 * (an edit inside a line, text after the cursor).
 */
const END_AFTER_NEWLINE = 0;
const END_INSIDE_LINE = 3;
// values 1 and 2: before the `\n`

const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** `column` moved left off the second half of a surrogate pair, so a cut never splits a character. */
function characterBoundary(line: string, column: number): number {
  return column > 0 && isLowSurrogate(line.charCodeAt(column)) ? column - 1 : column;
}

/** The line without its `\n`, and the length of its indentation. */
function lineParts(line: string): { content: number; indent: number } {
  const content = line.endsWith('\n') ? line.length - 1 : line.length;
  return { content, indent: /^[ \t]*/.exec(line)![0].length };
}

function startColumn(line: string, choice: number, random: number): number {
  const { content, indent } = lineParts(line);
  if (choice === START_AT_LINE_START) return 0;
  if (choice === START_AFTER_INDENT || content <= indent) return indent;
  return characterBoundary(line, indent + (random % (content - indent)));
}

function endColumn(line: string, from: number, choice: number, random: number): number {
  const { content } = lineParts(line);
  if (choice === END_AFTER_NEWLINE) return line.length;
  if (choice === END_INSIDE_LINE && content - from > 1) return characterBoundary(line, from + 1 + (random % (content - from - 1)));
  return content;
}

/**
 * Cuts `piece` into prefix, middle and suffix. The middle spans 1 to maxMiddleLines lines; it starts at a
 * line start, after the indentation or inside the line, and ends before or after a line's `\n` or inside
 * the line (a mix, like the editor's cursor positions). The suffix keeps at least one line that is not
 * blank, since the prompt builder only uses FIM when the suffix is not blank. The cut is chosen by a hash
 * of `seedKey`. Undefined when the piece has no such cut.
 */
export function fimSpan(piece: string, seedKey: string, maxMiddleLines: number): FimSpan | undefined {
  const lines = piece.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  // The middle may end before line `end` only if some later line is not blank.
  let lastContent = lines.length - 1;
  while (lastContent >= 0 && lines[lastContent].trim() === '') lastContent--;
  if (lastContent < 1) return undefined;
  const digest = createHash('sha256').update(`fim-span:${seedKey}`).digest();
  const u32 = (index: number): number => digest.readUInt32BE(4 * index);
  const first = u32(0) % lastContent; // 0 .. lastContent-1: the middle ends before the last content line
  const last = first + (u32(1) % Math.min(maxMiddleLines, lastContent - first));
  const lineStart = (index: number): number => lines.slice(0, index).reduce((sum, line) => sum + line.length, 0);
  const startInLine = startColumn(lines[first], u32(2) % 4, u32(3));
  const endInLine = endColumn(lines[last], last === first ? startInLine : 0, u32(4) % 4, u32(5));
  const start = lineStart(first) + startInLine;
  let end = lineStart(last) + endInLine;
  // A blank line's middle would be empty before its `\n`: take the `\n`.
  if (end <= start) end = lineStart(last) + lines[last].length;
  return { prefix: piece.slice(0, start), middle: piece.slice(start, end), suffix: piece.slice(end) };
}

/**
 * A FIM prompt as token ids in `order`: psm ends with `<fim_middle>`, spm with the prefix's ids (so a text that
 * continues the prefix, the middle, can be part of them).
 */
export function fimPromptIds(prefix: readonly number[], suffix: readonly number[], order: FimOrder): number[] {
  return order === 'spm'
    ? [FIM_PREFIX_ID, FIM_SUFFIX_ID, ...suffix, FIM_MIDDLE_ID, ...prefix]
    : [FIM_PREFIX_ID, ...prefix, FIM_SUFFIX_ID, ...suffix, FIM_MIDDLE_ID];
}

/** One example as token ids, in `order` (see the top of this file). */
export function fimExampleTokens(encode: EncodeOrdinary, header: string, span: FimSpan, order: FimOrder): number[] {
  if (order === 'spm') return fimPromptIds(encode(header + span.prefix + span.middle), encode(span.suffix), 'spm');
  return [...fimPromptIds(encode(header + span.prefix), encode(span.suffix), 'psm'), ...encode(span.middle)];
}

/** The order a corpus meta.json records for its FIM examples; a corpus from before the order was recorded was psm. */
export function recordedFimOrder(order: unknown): FimOrder {
  return isOneOf(FIM_ORDERS, order) ? order : 'psm';
}

/**
 * The training token sequences for one file in FIM form, one per piece (pieces without a valid cut are
 * plain `header + piece`). The caller separates them with `<|endoftext|>`.
 */
export function fimDocumentTokens(encode: EncodeOrdinary, documentKey: string, header: string, text: string, options: FimOptions): number[][] {
  return splitAtLines(text, options.maxPieceBytes).map((piece, index) => {
    const span = fimSpan(piece, `${documentKey}#${index}`, options.maxMiddleLines);
    return span === undefined ? encode(header + piece) : fimExampleTokens(encode, header, span, options.order);
  });
}
