/**
 * Where each token of the analysed window sits in the document, and how its text is drawn.
 *
 * Byte-level BPE tokens are byte strings: their concatenation is the UTF-8 encoding of the window text.
 * A token therefore maps to a byte range, which becomes a range of UTF-16 code units (the offsets VS Code
 * uses; CRLF counts 2, an astral character such as an emoji 2). A token that starts inside a multi-byte
 * character does not own that character: a character belongs to the token holding its first byte, so a
 * token made only of continuation bytes covers no characters.
 */
import type { AttentionToken } from './types';

export interface TokenPiece {
  id: number;
  /** The token's bytes (for a special token: the UTF-8 of its text). */
  bytes: Uint8Array;
  special: boolean;
}

/** UTF-8 length of one code point as TextEncoder writes it (a lone surrogate becomes U+FFFD: 3 bytes). */
function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3; // includes lone surrogates D800-DFFF, encoded as EF BF BD
  return 4;
}

/**
 * Places `pieces` (in order, covering `text` exactly) at document offsets `baseOffset + …`.
 * Throws naming the byte position when the tokens' bytes do not spell the text (a tokenizer that
 * normalises text, for example, cannot be mapped back onto the document).
 */
export function alignTokens(text: string, baseOffset: number, pieces: readonly TokenPiece[], options: { generated?: boolean } = {}): AttentionToken[] {
  // Code point starts: byteStarts[i] is the UTF-8 offset of the i-th code point, unitStarts[i] its UTF-16 offset.
  const byteStarts: number[] = [];
  const unitStarts: number[] = [];
  const expected: number[] = [];
  const encoder = new TextEncoder();
  let bytePos = 0;
  let unitPos = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    byteStarts.push(bytePos);
    unitStarts.push(unitPos);
    for (const b of encoder.encode(ch)) expected.push(b);
    bytePos += utf8Length(cp);
    unitPos += ch.length;
  }
  byteStarts.push(bytePos);
  unitStarts.push(unitPos);
  const totalBytes = bytePos;

  const tokens: AttentionToken[] = [];
  let b = 0;
  let cp = 0; // first code point whose first byte is >= b
  for (const piece of pieces) {
    for (let i = 0; i < piece.bytes.length; i++) {
      if (b + i >= totalBytes || expected[b + i] !== piece.bytes[i]) {
        throw new Error(
          `token ${tokens.length} (id ${piece.id}) does not match the window text at byte ${b + i}` +
            (b + i >= totalBytes ? ' (the tokens are longer than the text)' : '') +
            ': the tokenizer must be byte-level BPE without normalisation',
        );
      }
    }
    const startCp = cp;
    b += piece.bytes.length;
    while (cp < byteStarts.length - 1 && byteStarts[cp] < b) cp++;
    const start = unitStarts[startCp];
    const end = unitStarts[cp];
    tokens.push({
      id: piece.id,
      text: text.slice(start, end),
      start: baseOffset + start,
      end: baseOffset + end,
      generated: options.generated ?? false,
      special: piece.special,
    });
  }
  if (b !== totalBytes) throw new Error(`the tokens cover ${b} of the window's ${totalBytes} bytes`);
  return tokens;
}

/** How a token's text is drawn: real characters, with line breaks, tabs and control characters marked. */
type DisplayPiece =
  | { kind: 'text'; text: string }
  | { kind: 'newline'; text: '\n' | '\r\n' | '\r' }
  | { kind: 'tab' }
  /** A C0/C1 control character other than tab and newline, drawn as its Unicode "control picture". */
  | { kind: 'control'; text: string; picture: string };

/** Splits a token's text into display pieces. Concatenating the pieces' characters gives the text back. */
export function displayPieces(text: string): DisplayPiece[] {
  const out: DisplayPiece[] = [];
  let run = '';
  const flush = () => {
    if (run) out.push({ kind: 'text', text: run });
    run = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const code = c.charCodeAt(0);
    if (c === '\r' && text[i + 1] === '\n') {
      flush();
      out.push({ kind: 'newline', text: '\r\n' });
      i++;
    } else if (c === '\n' || c === '\r') {
      flush();
      out.push({ kind: 'newline', text: c });
    } else if (c === '\t') {
      flush();
      out.push({ kind: 'tab' });
    } else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) {
      flush();
      out.push({ kind: 'control', text: c, picture: code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? '\u2421' : '\ufffd' });
    } else run += c;
  }
  flush();
  return out;
}

/** The characters a piece stands for (the inverse of displayPieces). */
export function pieceText(p: DisplayPiece): string {
  return p.kind === 'tab' ? '\t' : p.text;
}

/**
 * The token whose prediction happens at `offset` (a cursor between characters): the last token that
 * starts before the cursor, i.e. the one holding the character just left of it. Generated tokens are
 * skipped. 0 when the cursor is at or before the first token.
 */
export function tokenBeforeOffset(tokens: readonly AttentionToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].start < offset) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Tokens of continuation bytes (empty ranges) right after it still end before the cursor: the last of them predicts.
  while (best + 1 < tokens.length && !tokens[best + 1].generated && tokens[best + 1].start === tokens[best + 1].end && tokens[best + 1].start <= offset) best++;
  while (best > 0 && tokens[best].generated) best--;
  return best;
}

/** Characters of document text to read around the cursor for a window of at most `maxTokens` tokens. */
const CHARS_PER_TOKEN_BEFORE = 8;
const CHARS_PER_TOKEN_AFTER = 2;

interface TextWindow {
  /** Document offsets [start, end). */
  start: number;
  end: number;
  /** The document continues before/after the window. */
  clipped: { before: boolean; after: boolean };
}

/**
 * The raw character range to read around `cursor`: generous on the left (the model only looks back),
 * a little on the right (tokens after the cursor can be clicked in the panel). The worker cuts it to
 * `maxTokens` tokens; this only keeps the host from reading a 5,000-line file.
 */
export function rawWindow(documentLength: number, cursor: number, maxTokens: number): { start: number; end: number } {
  const c = Math.max(0, Math.min(documentLength, cursor));
  return {
    start: Math.max(0, c - maxTokens * CHARS_PER_TOKEN_BEFORE),
    end: Math.min(documentLength, c + maxTokens * CHARS_PER_TOKEN_AFTER),
  };
}

/**
 * Moves the edges of a raw window (text = document[start, end)) to line boundaries, so the panel does not
 * begin or end mid-line: the start after the first line break (unless that passes the cursor), the end
 * after the last line break that follows the cursor.
 */
export function snapWindow(text: string, start: number, cursor: number, documentLength: number): TextWindow {
  const end = start + text.length;
  let s = start;
  let e = end;
  if (start > 0) {
    const nl = text.indexOf('\n');
    if (nl >= 0 && start + nl + 1 <= cursor) s = start + nl + 1;
  }
  if (end < documentLength) {
    const nl = text.lastIndexOf('\n');
    if (nl >= 0 && start + nl + 1 > cursor) e = start + nl + 1;
  }
  return { start: s, end: e, clipped: { before: s > 0, after: e < documentLength } };
}

/**
 * Which tokens to keep when the window has more than `maxTokens`: a range [from, to) that contains
 * `query`, keeps as much text before it as the budget allows (at least 3/4 of it when there is more
 * after), and fills the rest with text after it.
 */
export function limitTokens(count: number, query: number, maxTokens: number): { from: number; to: number } {
  if (count <= maxTokens) return { from: 0, to: count };
  const q = Math.max(0, Math.min(count - 1, query));
  const beforeAvail = q + 1; // the query and everything before it
  const afterAvail = count - q - 1;
  const before = Math.min(beforeAvail, Math.max(maxTokens - afterAvail, Math.ceil(maxTokens * 0.75)));
  const after = Math.min(afterAvail, maxTokens - before);
  return { from: q + 1 - before, to: q + 1 + after };
}

export interface TokenPosition {
  /** 0-based document line and UTF-16 column where the token starts. */
  line: number;
  column: number;
}

/** Line and column of every token, counted through the tokens' own text from `startLine`, column 0. */
export function tokenPositions(tokens: readonly Pick<AttentionToken, 'text' | 'generated'>[], startLine: number): TokenPosition[] {
  const out: TokenPosition[] = [];
  let line = startLine;
  let column = 0;
  for (const t of tokens) {
    out.push({ line, column });
    for (let i = 0; i < t.text.length; i++) {
      const c = t.text[i];
      if (c === '\n' || (c === '\r' && t.text[i + 1] !== '\n')) {
        line++;
        column = 0;
      } else if (c !== '\r') column++;
    }
  }
  return out;
}

/**
 * The token on the previous (direction -1) or next (+1) line closest to the current token's column, for
 * Up/Down in the panel; the same index when there is no such line.
 */
export function verticalNeighbour(positions: readonly TokenPosition[], index: number, direction: -1 | 1): number {
  const here = positions[index];
  if (!here) return index;
  let target = -1;
  for (let i = index + direction; i >= 0 && i < positions.length; i += direction) {
    if (positions[i].line !== here.line) {
      target = positions[i].line;
      break;
    }
  }
  if (target < 0) return index;
  let best = -1;
  for (let i = 0; i < positions.length; i++) {
    if (positions[i].line !== target) continue;
    // The last token starting at or before the column, else the line's first token.
    if (best < 0 || positions[i].column <= here.column) best = i;
    if (positions[i].column > here.column) break;
  }
  return best < 0 ? index : best;
}
