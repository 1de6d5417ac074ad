import { strict as assert } from 'node:assert';
import { FRESH_START_FILL, gatherContext } from '../../../src/completion/context';
import { withCursor } from './cursor';

/** 40 lines "line 00" .. "line 39" (8 chars each with the newline). */
const lines = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(2, '0')}`);
const doc = (cursorLine: number, column = 7) => {
  const before = lines.slice(0, cursorLine).join('\n') + (cursorLine > 0 ? '\n' : '') + lines[cursorLine].slice(0, column);
  const after = lines[cursorLine].slice(column) + '\n' + lines.slice(cursorLine + 1).join('\n');
  return withCursor(`${before}▮${after}`);
};

describe('completion/context', () => {
  it('splits the current line at the cursor and lists the next lines', () => {
    const c = gatherContext(withCursor('a\nfoo(▮bar)\nnext\nlast'), { prefixTokens: 100, suffixTokens: 100, charsPerToken: 3 });
    assert.equal(c.linePrefix, 'foo(');
    assert.equal(c.lineSuffix, 'bar)');
    assert.deepEqual(c.nextLines, ['next', 'last']);
    assert.equal(c.prefix, 'a\nfoo(');
    assert.equal(c.suffix, 'bar)\nnext\nlast');
  });

  it('a fresh prefix window starts at a line start and fills 3/4 of the budget', () => {
    const budget = { prefixTokens: 20, suffixTokens: 0, charsPerToken: 4 }; // 80 chars
    const c = gatherContext(doc(30), budget);
    assert.ok(c.prefix.startsWith('line '), c.prefix);
    assert.ok(c.prefix.length <= 80 * FRESH_START_FILL, `${c.prefix.length} chars`);
    assert.ok(c.prefix.length > 80 * FRESH_START_FILL - 8, 'uses the budget up to one line');
    assert.equal(c.prefix.split('\n')[0], lines[c.prefixStartLine]);
  });

  it('keeps the previous window start while it fits, so consecutive prompts share their beginning', () => {
    const budget = { prefixTokens: 20, suffixTokens: 0, charsPerToken: 4 };
    const first = gatherContext(doc(30, 3), budget);
    const typed = gatherContext(doc(30, 7), budget, first.prefixStartLine);
    const nextLine = gatherContext(doc(31, 2), budget, first.prefixStartLine);
    assert.equal(typed.prefixStartLine, first.prefixStartLine);
    assert.equal(nextLine.prefixStartLine, first.prefixStartLine);
    assert.ok(typed.prefix.startsWith(first.prefix));
    // Far below, the old start no longer fits: a fresh one is chosen.
    const far = gatherContext(doc(39), budget, first.prefixStartLine);
    assert.ok(far.prefixStartLine > first.prefixStartLine);
    assert.ok(far.prefix.length <= 80);
  });

  it('a line longer than the whole budget is cut inside', () => {
    const long = 'x'.repeat(500);
    const c = gatherContext(withCursor(`${long}▮`), { prefixTokens: 10, suffixTokens: 0, charsPerToken: 3 });
    assert.equal(c.prefix, 'x'.repeat(30));
    assert.equal(c.linePrefix, long);
  });

  it('the suffix window ends at a line end within its budget; 0 tokens means none', () => {
    const c = gatherContext(withCursor('▮abc\ndefgh\nijklmnop\n'), { prefixTokens: 10, suffixTokens: 4, charsPerToken: 3 }); // 12 chars
    assert.equal(c.suffix, 'abc\ndefgh');
    const none = gatherContext(withCursor('▮abc\n'), { prefixTokens: 10, suffixTokens: 0, charsPerToken: 3 });
    assert.equal(none.suffix, '');
    assert.deepEqual(none.nextLines, ['']);
  });

  it('CRLF documents: line parts carry no \\r', () => {
    const c = gatherContext(withCursor('a\r\nb▮c\r\nd\r\n'), { prefixTokens: 10, suffixTokens: 10, charsPerToken: 3 });
    assert.equal(c.lineSuffix, 'c');
    assert.deepEqual(c.nextLines, ['d', '']);
  });
});
