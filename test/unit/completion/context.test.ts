import { strict as assert } from 'node:assert';
import { FRESH_START_FILL, gatherContext, MAX_LINE_CHARS, NEXT_LINES, shortenPrefix, stringText, type CompletionContext, type ContextBudget, type DocumentSnapshot, type DocumentText } from '../../../src/completion/context';
import { createRng } from '../../../src/engine/sampling';
import { withCursor } from './cursor';

/**
 * The whole-document implementation gatherContext had before it read only a window (every line start
 * of the document first): the reference the windowed one must match on lines up to MAX_LINE_CHARS.
 */
function wholeDocumentContext(doc: DocumentSnapshot & { text: string }, budget: ContextBudget, previousStartLine?: number): CompletionContext {
  const { text } = doc;
  const offset = Math.max(0, Math.min(doc.offset, text.length));
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  let cursorLine = 0;
  while (cursorLine + 1 < starts.length && starts[cursorLine + 1] <= offset) cursorLine++;
  const maxPrefixChars = Math.max(1, Math.floor(budget.prefixTokens * budget.charsPerToken));
  let startLine: number;
  if (previousStartLine !== undefined && previousStartLine <= cursorLine && offset - starts[previousStartLine] <= maxPrefixChars) {
    startLine = previousStartLine;
  } else {
    startLine = cursorLine;
    while (startLine > 0 && offset - starts[startLine - 1] <= Math.floor(maxPrefixChars * FRESH_START_FILL)) startLine--;
  }
  const prefixStart = Math.max(starts[startLine], offset - maxPrefixChars);
  const lineEnd = text.indexOf('\n', offset);
  const currentLineEnd = lineEnd < 0 ? text.length : lineEnd;
  const maxSuffixChars = Math.floor(budget.suffixTokens * budget.charsPerToken);
  let suffix = '';
  if (maxSuffixChars > 0) {
    suffix = text.slice(offset, offset + maxSuffixChars);
    if (offset + maxSuffixChars < text.length) {
      const lastBreak = suffix.lastIndexOf('\n');
      if (lastBreak > 0) suffix = suffix.slice(0, lastBreak);
    }
  }
  return {
    languageId: doc.languageId,
    relativePath: doc.relativePath,
    prefix: text.slice(prefixStart, offset),
    suffix,
    linePrefix: text.slice(starts[cursorLine], offset),
    lineSuffix: text.slice(offset, currentLineEnd).replace(/\r$/, ''),
    nextLines: text
      .slice(currentLineEnd + 1, currentLineEnd + 1 + NEXT_LINES * 200)
      .split('\n')
      .slice(0, lineEnd < 0 ? 0 : NEXT_LINES)
      .map((l) => l.replace(/\r$/, '')),
    prefixStartLine: startLine,
  };
}

/** `stringText` that counts what gatherContext reads: characters sliced, slice and lineAt calls. */
function countingText(text: string) {
  const inner = stringText(text);
  const counts = { chars: 0, slices: 0, lineAts: 0 };
  const source: DocumentText = {
    length: text.length,
    slice(start, end) {
      const s = inner.slice(start, end);
      counts.chars += s.length;
      counts.slices++;
      return s;
    },
    lineAt(offset) {
      counts.lineAts++;
      return inner.lineAt(offset);
    },
  };
  return { source, counts };
}

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

  it('matches the whole-document implementation (random documents, cursors, budgets, previous starts)', () => {
    const rng = createRng(8);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
    const words = ['a', 'foo', '  ', '\t', '(', ')', '{', '}', ';', 'return x', '// note', '', 'é', '\u{1F600}'];
    for (let n = 0; n < 400; n++) {
      const eol = pick(['\n', '\r\n']);
      const lines = Array.from({ length: 1 + Math.floor(rng() * 60) }, () =>
        Array.from({ length: Math.floor(rng() * (rng() < 0.05 ? 400 : 12)) }, () => pick(words)).join(' '),
      );
      const text = lines.join(eol) + (rng() < 0.5 ? eol : '');
      let offset = Math.floor(rng() * (text.length + 1));
      if (text[offset - 1] === '\r' && text[offset] === '\n') offset--; // a cursor never sits inside a CRLF
      const budget = { prefixTokens: 1 + Math.floor(rng() * 300), suffixTokens: Math.floor(rng() * 60), charsPerToken: pick([1.5, 3, 3.7]) };
      const doc = { text, offset, languageId: 'typescript', relativePath: 'a.ts' };
      const previous = rng() < 0.5 ? undefined : Math.floor(rng() * lines.length);
      assert.deepEqual(gatherContext(doc, budget, previous), wholeDocumentContext(doc, budget, previous), JSON.stringify({ n, offset, budget, previous }));
    }
  });

  it('reads only a window around the cursor of a 20 MB document, whatever the cursor position', () => {
    const text = 'let value = compute(1);\n'.repeat(900_000); // 21.6 MB
    const budget = { prefixTokens: 2048, suffixTokens: 1024, charsPerToken: 3 }; // the settings' maximums
    const bound = Math.max(2048 * 3, MAX_LINE_CHARS) + 1 + 1024 * 3 + MAX_LINE_CHARS + 1 + NEXT_LINES * 200;
    for (const offset of [0, 12, 10_800_000, text.length - 5, text.length]) {
      const { source, counts } = countingText(text);
      const c = gatherContext({ text: source, offset, languageId: 'typescript', relativePath: 'big.ts' }, budget);
      assert.ok(counts.chars <= bound, `read ${counts.chars} characters at offset ${offset} (bound ${bound})`);
      assert.equal(counts.lineAts, 1, 'one line lookup (a TextDocument answers it from its line index)');
      assert.deepEqual(c, wholeDocumentContext({ text, offset, languageId: 'typescript', relativePath: 'big.ts' }, budget));
    }
  });

  it('a 20 MB single line: reads a bounded window; the line parts are cut to MAX_LINE_CHARS next to the cursor', () => {
    const text = 'ab'.repeat(10_000_000);
    const { source, counts } = countingText(text);
    const c = gatherContext({ text: source, offset: 10_000_000, languageId: 'javascript', relativePath: 'min.js' }, { prefixTokens: 100, suffixTokens: 10, charsPerToken: 3 });
    assert.ok(counts.chars <= 3 * MAX_LINE_CHARS, `read ${counts.chars} characters`);
    assert.equal(c.prefix, 'ab'.repeat(150));
    assert.equal(c.linePrefix, 'ab'.repeat(MAX_LINE_CHARS / 2));
    assert.equal(c.lineSuffix, 'ab'.repeat(MAX_LINE_CHARS / 2));
    assert.deepEqual(c.nextLines, []);
    assert.equal(c.prefixStartLine, 0);
  });
});

describe('completion/context: shortenPrefix (room for retrieved snippets)', () => {
  const context = (prefix: string): CompletionContext => ({ languageId: 'typescript', relativePath: 'a.ts', prefix, suffix: '', linePrefix: prefix.slice(prefix.lastIndexOf('\n') + 1), lineSuffix: '', nextLines: [], prefixStartLine: 10 });
  const prefix = 'line one\nline two\n  ret';

  it('a prefix that fits is kept whole', () => {
    assert.deepEqual(shortenPrefix(context(prefix), prefix.length), context(prefix));
  });

  it('cuts whole lines from the start, and the start line follows', () => {
    assert.deepEqual([shortenPrefix(context(prefix), prefix.length - 1).prefix, shortenPrefix(context(prefix), prefix.length - 1).prefixStartLine], ['line two\n  ret', 11]);
    assert.deepEqual([shortenPrefix(context(prefix), 13).prefix, shortenPrefix(context(prefix), 13).prefixStartLine], ['  ret', 12]);
  });

  it('the cursor line alone over the limit is cut inside', () => {
    assert.equal(shortenPrefix(context(prefix), 3).prefix, 'ret');
  });
});
