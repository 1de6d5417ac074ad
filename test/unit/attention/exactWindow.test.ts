import { strict as assert } from 'node:assert';
import { placeExactTokens, type ExactPlacement } from '../../../src/attention/exactWindow';
import type { TokenPiece } from '../../../src/attention/layout';

const enc = new TextEncoder();
/** One token per listed string (special when it is a FIM marker). */
const pieces = (...texts: string[]): TokenPiece[] =>
  texts.map((t, i) => ({ id: 100 + i, bytes: enc.encode(t), special: t.startsWith('<fim_') }));
const FIM = '<fim_suffix>';
const brief = (tokens: ReturnType<typeof placeExactTokens>) => tokens.map((t) => [t.text, t.start, t.end, t.generated]);

describe('attention/exactWindow: the exact tokens of the last completion placed on the document', () => {
  const base: ExactPlacement = { textBefore: '', baseOffset: 0, completionOffset: 0, acceptedText: null, healed: '', fimSuffixToken: FIM };

  it('the header line is shown but not placed; the prefix maps onto the document; ghost text sits at the offset', () => {
    // Document "x = 1\nreturn " (offset 40 onwards), prompt "// a.ts\n" + its last line.
    const p = { ...base, textBefore: 'x = 1\nreturn ', baseOffset: 40, completionOffset: 53 };
    const tokens = placeExactTokens(pieces('// a.ts\n', 'return', ' '), pieces('a', ' +', ' b'), p);
    assert.deepEqual(brief(tokens), [
      ['// a.ts\n', 46, 46, false], // before the placed text: empty, at the first placed offset
      ['return', 46, 52, false],
      [' ', 52, 53, false],
      ['a', 53, 53, true],
      [' +', 53, 53, true],
      [' b', 53, 53, true],
    ]);
  });

  it('a CRLF document: the prompt\'s \\n maps onto \\r\\n, and accepted generated tokens keep their own \\n (no \\r token)', () => {
    const p = { ...base, textBefore: 'a\r\nb', baseOffset: 0, completionOffset: 4, acceptedText: '\r\nc' };
    const tokens = placeExactTokens(pieces('a', '\n', 'b'), pieces('\n', 'c'), p);
    assert.deepEqual(brief(tokens), [
      ['a', 0, 1, false],
      ['\n', 2, 3, false],
      ['b', 3, 4, false],
      ['\n', 5, 6, true],
      ['c', 6, 7, true],
    ]);
    assert.ok(tokens.every((t) => !t.text.includes('\r')));
  });

  it('fill-in-the-middle, psm: the marker and the suffix come after the prefix, unplaced; a healed token spans the typed characters', () => {
    // The user typed "re"; healing took the token "re" back and the model generated "return".
    const p = { ...base, textBefore: 'if (x) re', baseOffset: 10, completionOffset: 19, acceptedText: 'turn', healed: 're' };
    const tokens = placeExactTokens(pieces('<fim_prefix>', 'if (x) ', FIM, '}', '<fim_middle>'), pieces('return'), p);
    assert.deepEqual(brief(tokens), [
      ['<fim_prefix>', 10, 10, false],
      ['if (x) ', 10, 17, false],
      [FIM, 17, 17, false],
      ['}', 17, 17, false],
      ['<fim_middle>', 17, 17, false],
      ['return', 17, 23, true],
    ]);
  });

  it('fill-in-the-middle, spm: the markers and the suffix come first, unplaced at the window start; the prompt\'s end maps onto the document', () => {
    const p = { ...base, textBefore: 'if (x) re', baseOffset: 10, completionOffset: 19, acceptedText: 'turn', healed: 're' };
    const tokens = placeExactTokens(pieces('<fim_prefix>', FIM, '}', '<fim_middle>', '// a.ts\n', 'if (x) '), pieces('return'), p);
    assert.deepEqual(brief(tokens), [
      ['<fim_prefix>', 10, 10, false],
      [FIM, 10, 10, false],
      ['}', 10, 10, false],
      ['<fim_middle>', 10, 10, false],
      ['// a.ts\n', 10, 10, false],
      ['if (x) ', 10, 17, false],
      ['return', 17, 23, true],
    ]);
  });

  it('generated tokens past the accepted text (post-processing cut them) stay in the panel with an empty range', () => {
    const p = { ...base, textBefore: 'f(', baseOffset: 0, completionOffset: 2, acceptedText: 'a)' };
    const tokens = placeExactTokens(pieces('f', '('), pieces('a', ')', ';\n', 'g'), p);
    assert.deepEqual(brief(tokens).slice(2), [
      ['a', 2, 3, true],
      [')', 3, 4, true],
      [';\n', 4, 4, true],
      ['g', 4, 4, true],
    ]);
  });
});
