import { strict as assert } from 'node:assert';
import {
  alignTokens,
  displayPieces,
  limitTokens,
  pieceText,
  rawWindow,
  snapWindow,
  tokenBeforeOffset,
  tokenPositions,
  verticalNeighbour,
  type TokenPiece,
} from '../../../src/attention/layout';
import { tokensOf } from './fixtures';

const enc = new TextEncoder();
/** Pieces that split `text` at the given strings (each its UTF-8 bytes). */
const pieces = (...parts: string[]): TokenPiece[] => parts.map((p, i) => ({ id: i, bytes: enc.encode(p), special: false }));
/** Pieces from raw byte arrays (for tokens that cut a character). */
const bytePieces = (...parts: number[][]): TokenPiece[] => parts.map((p, i) => ({ id: i, bytes: Uint8Array.from(p), special: false }));
const spans = (text: string, base: number, ps: TokenPiece[]) => alignTokens(text, base, ps).map((t) => [t.text, t.start, t.end]);

describe('attention token layout', () => {
  it('places tokens at document offsets from the window start', () => {
    assert.deepEqual(spans('let x = 1;', 100, pieces('let', ' x', ' =', ' 1', ';')), [
      ['let', 100, 103],
      [' x', 103, 105],
      [' =', 105, 107],
      [' 1', 107, 109],
      [';', 109, 110],
    ]);
  });

  it('CRLF counts two code units, tabs one, and both stay in the token text', () => {
    const text = 'a {\r\n\treturn;\r\n}';
    assert.deepEqual(spans(text, 0, pieces('a', ' {', '\r\n', '\t', 'return', ';', '\r', '\n', '}')), [
      ['a', 0, 1],
      [' {', 1, 3],
      ['\r\n', 3, 5],
      ['\t', 5, 6],
      ['return', 6, 12],
      [';', 12, 13],
      ['\r', 13, 14],
      ['\n', 14, 15],
      ['}', 15, 16],
    ]);
  });

  it('unicode: é is 2 bytes and 1 unit, € 3 bytes and 1 unit, 😀 4 bytes and 2 units (a surrogate pair)', () => {
    assert.deepEqual(spans('é€😀x', 10, pieces('é', '€', '😀', 'x')), [
      ['é', 10, 11],
      ['€', 11, 12],
      ['😀', 12, 14],
      ['x', 14, 15],
    ]);
  });

  it('a token that cuts a character owns it only if it holds the first byte; continuation-only tokens are empty', () => {
    // € = E2 82 AC split as [E2] [82 AC]; 😀 = F0 9F 98 80 split as [F0 9F] [98] [80 'x']
    const ts = alignTokens('€😀x', 0, bytePieces([0xe2], [0x82, 0xac], [0xf0, 0x9f], [0x98], [0x80, 0x78]));
    assert.deepEqual(
      ts.map((t) => [t.text, t.start, t.end]),
      [
        ['€', 0, 1],
        ['', 1, 1],
        ['😀', 1, 3],
        ['', 3, 3],
        ['x', 3, 4],
      ],
    );
    // The cursor after € is predicted by the last token of €'s bytes.
    assert.equal(tokenBeforeOffset(ts, 1), 1);
  });

  it('a lone surrogate is U+FFFD in UTF-8 (what the tokenizer sees), one unit in the document', () => {
    const text = 'a\ud800b';
    assert.deepEqual(spans(text, 0, bytePieces([0x61], [0xef, 0xbf, 0xbd], [0x62])), [
      ['a', 0, 1],
      ['\ud800', 1, 2],
      ['b', 2, 3],
    ]);
  });

  it('special tokens keep their literal text; generated tokens are marked', () => {
    const ts = alignTokens('<|endoftext|>x', 0, [{ id: 0, bytes: enc.encode('<|endoftext|>'), special: true }, ...pieces('x')], { generated: true });
    assert.deepEqual(ts.map((t) => [t.text, t.special, t.generated]), [['<|endoftext|>', true, true], ['x', false, true]]);
  });

  it('tokens that do not spell the text are an error naming the token and the byte', () => {
    assert.throws(() => alignTokens('abc', 0, pieces('ab', 'x')), /token 1 \(id 1\) does not match the window text at byte 2/);
    assert.throws(() => alignTokens('ab', 0, pieces('ab', 'c')), /byte 2 \(the tokens are longer than the text\)/);
    assert.throws(() => alignTokens('abc', 0, pieces('ab')), /the tokens cover 2 of the window's 3 bytes/);
  });

  it('display pieces: real characters, line breaks and tabs marked, controls as control pictures; round-trips', () => {
    const text = 'if (a)\r\n\t<img src=x onerror=alert(1)>\u0000\n\r';
    const ps = displayPieces(text);
    assert.deepEqual(ps, [
      { kind: 'text', text: 'if (a)' },
      { kind: 'newline', text: '\r\n' },
      { kind: 'tab' },
      { kind: 'text', text: '<img src=x onerror=alert(1)>' },
      { kind: 'control', text: '\u0000', picture: '\u2400' },
      { kind: 'newline', text: '\n' },
      { kind: 'newline', text: '\r' },
    ]);
    assert.equal(ps.map(pieceText).join(''), text);
  });

  it('tokenBeforeOffset: the token holding the character left of the cursor', () => {
    const ts = tokensOf(['const', ' x', ' =', ' 1']); // 0-5, 5-7, 7-9, 9-11
    assert.equal(tokenBeforeOffset(ts, 0), 0);
    assert.equal(tokenBeforeOffset(ts, 5), 0); // right after "const"
    assert.equal(tokenBeforeOffset(ts, 6), 1); // inside " x"
    assert.equal(tokenBeforeOffset(ts, 11), 3);
    assert.equal(tokenBeforeOffset(ts, 500), 3);
    const withGenerated = [...ts, { ...ts[3], text: 'foo', start: 11, end: 11, generated: true }];
    assert.equal(tokenBeforeOffset(withGenerated, 12), 3);
  });

  it('rawWindow reads 8 characters per token before the cursor and 2 after, inside the document', () => {
    assert.deepEqual(rawWindow(100_000, 50_000, 256), { start: 50_000 - 2048, end: 50_000 + 512 });
    assert.deepEqual(rawWindow(300, 10, 256), { start: 0, end: 300 });
  });

  it('snapWindow moves the edges to line boundaries but never past the cursor', () => {
    const doc = 'line one\nline two\nline three\nline four\n';
    // raw window from the middle of "one" to the middle of "four", cursor in "three"
    const start = 5;
    const end = 33;
    const w = snapWindow(doc.slice(start, end), start, 22, doc.length);
    assert.equal(doc.slice(w.start, w.end), 'line two\nline three\n');
    assert.deepEqual(w.clipped, { before: true, after: true });
    // The first line break is after the cursor: keep the start.
    assert.equal(snapWindow(doc.slice(5, 33), 5, 6, doc.length).start, 5);
    // Whole document: nothing clipped.
    assert.deepEqual(snapWindow(doc, 0, 3, doc.length), { start: 0, end: doc.length, clipped: { before: false, after: false } });
  });

  it('limitTokens keeps the query, at least 3/4 of the budget before it, and fills up with text after', () => {
    assert.deepEqual(limitTokens(10, 5, 16), { from: 0, to: 10 });
    assert.deepEqual(limitTokens(1000, 500, 100), { from: 426, to: 526 }); // 75 up to the query, 25 after
    assert.deepEqual(limitTokens(1000, 990, 100), { from: 900, to: 1000 }); // little after: more before
    assert.deepEqual(limitTokens(1000, 10, 100), { from: 0, to: 100 }); // little before: more after
    assert.deepEqual(limitTokens(1000, 999, 1), { from: 999, to: 1000 });
    for (const q of [0, 3, 500, 999]) {
      const { from, to } = limitTokens(1000, q, 64);
      assert.ok(to - from === 64 && from <= q && q < to, `query ${q}`);
    }
  });

  it('token positions count lines through CRLF, CR and LF; Up/Down go to the nearest column', () => {
    const ts = tokensOf(['ab', ' c', '\r\n', '\tdef', ' g', '\n', 'h', '\r', 'i']);
    const pos = tokenPositions(ts, 10);
    assert.deepEqual(pos.map((p) => [p.line, p.column]), [[10, 0], [10, 2], [10, 4], [11, 0], [11, 4], [11, 6], [12, 0], [12, 1], [13, 0]]);
    assert.equal(verticalNeighbour(pos, 1, 1), 3); // " c" (col 2) -> "\tdef" (col 0 <= 2)
    assert.equal(verticalNeighbour(pos, 4, -1), 2); // " g" (col 4) -> "\r\n" (col 4)
    assert.equal(verticalNeighbour(pos, 0, -1), 0); // first line: stays
    assert.equal(verticalNeighbour(pos, 8, 1), 8); // last line: stays
  });
});
