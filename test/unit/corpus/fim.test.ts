import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { buildPrompt } from '../../../src/completion/prompt';
import type { CompletionContext } from '../../../src/completion/context';
import { FIM_ORDERS } from '../../../src/engine/protocol';
import { readTokenizerFiles, END_OF_TEXT_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID } from '../../../src/model/tokenizer';
import { type FimSpan, fimDocumentTokens, fimExampleTokens, fimSpan, isFimFile, splitAtLines } from '../../../training/corpus/fim';

const SHIPPED = join(__dirname, '../../../models/localgpt-code-small');

describe('fill-in-the-middle training examples', () => {
  const tokenizer = readTokenizerFiles(SHIPPED);
  const encode = (text: string): number[] => tokenizer.encodeOrdinary(text);

  it('cuts pieces at line boundaries that concatenate back to the file', () => {
    const text = 'const a = 1;\nconst b = 2;\nconst c = 3;\nlast line without newline';
    assert.deepEqual(splitAtLines(text, 26), ['const a = 1;\nconst b = 2;\n', 'const c = 3;\n', 'last line without newline']);
    assert.deepEqual(splitAtLines(text, 1000), [text]);
    // a single line longer than the limit is a piece of its own, not cut inside
    assert.deepEqual(splitAtLines('x'.repeat(50) + '\ny\n', 10), ['x'.repeat(50) + '\n', 'y\n']);
    assert.deepEqual(splitAtLines('', 10), []);
  });

  const clamp = ['function clamp(x: number, lo: number, hi: number): number {', '  if (x < lo) return lo;', '  if (x > hi) return hi;', '  return x;', '}', ''].join('\n');
  const spans = (piece: string, maxMiddleLines: number, count = 400) =>
    Array.from({ length: count }, (_, seed) => fimSpan(piece, `key${seed}`, maxMiddleLines)!);
  const share = (list: unknown[], test: (x: never) => boolean) => list.filter((x) => test(x as never)).length / list.length;

  it('cuts a non-empty middle of at most maxMiddleLines lines with a non-blank suffix, the same cut for the same key', () => {
    for (const span of spans(clamp, 3)) {
      assert.equal(span.prefix + span.middle + span.suffix, clamp);
      assert.notEqual(span.middle, '');
      // the lines the middle touches: from the prefix's last line to the suffix's first
      const touched = span.middle.replace(/\n$/, '').split('\n').length;
      assert.ok(touched <= 3, `middle over ${touched} lines: ${JSON.stringify(span)}`);
      assert.notEqual(span.suffix.trim(), '');
    }
    assert.deepEqual(fimSpan(clamp, 'same', 3), fimSpan(clamp, 'same', 3));
    // no cut leaves a non-blank suffix: one content line, or content followed only by blank lines
    assert.equal(fimSpan('return x;\n', 'k', 8), undefined);
    assert.equal(fimSpan('return x;\n\n   \n', 'k', 8), undefined);
  });

  it('starts the middle where an editor cursor is: at line starts, after the indentation and inside lines', () => {
    const all = spans(clamp, 3);
    const lineStart = share(all, (s: FimSpan) => s.prefix === '' || s.prefix.endsWith('\n'));
    const afterIndent = share(all, (s: FimSpan) => /\n[ \t]+$/.test(s.prefix));
    const insideLine = share(all, (s: FimSpan) => /\S$/.test(s.prefix));
    assert.ok(lineStart > 0.15 && lineStart < 0.45, `line start ${lineStart}`);
    assert.ok(afterIndent > 0.05, `after the indentation ${afterIndent}`);
    assert.ok(insideLine > 0.3 && insideLine < 0.7, `inside a line ${insideLine}`);
  });

  it('ends the middle before a line\'s newline (the rest of the line not typed), after it, or inside a line', () => {
    const all = spans(clamp, 3);
    const beforeNewline = share(all, (s: FimSpan) => !s.middle.endsWith('\n') && s.suffix.startsWith('\n'));
    const afterNewline = share(all, (s: FimSpan) => s.middle.endsWith('\n'));
    const insideLine = share(all, (s: FimSpan) => /\S$/.test(s.middle) && /^[^\n]/.test(s.suffix));
    assert.ok(beforeNewline > 0.3, `before the newline ${beforeNewline}`);
    assert.ok(afterNewline > 0.1 && afterNewline < 0.5, `after the newline ${afterNewline}`);
    assert.ok(insideLine > 0.05, `inside a line ${insideLine}`);
    // the editor's mid-line request: prefix up to the cursor, middle = the rest of that line, suffix from its newline
    const lines = clamp.split('\n');
    const editorForm = all.filter((s) => /\S$/.test(s.prefix) && !s.middle.includes('\n') && s.suffix.startsWith('\n'));
    assert.ok(editorForm.length > 10, `${editorForm.length} editor-form spans`);
    for (const s of editorForm) {
      const lineOfCursor = s.prefix.slice(s.prefix.lastIndexOf('\n') + 1) + s.middle;
      assert.ok(lines.includes(lineOfCursor), JSON.stringify(s));
    }
  });

  it('never cuts inside a character (surrogate pairs stay whole)', () => {
    const piece = '// 😀😀😀😀😀😀😀😀😀😀\nconst s = "😀😀😀😀😀😀";\nexport default s; // 😀😀😀\n';
    for (const s of spans(piece, 2)) {
      for (const part of [s.prefix, s.middle, s.suffix]) assert.ok(!/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(part), JSON.stringify(s));
    }
  });

  const clampHeader = '// redux/src/clamp.ts\n';
  const clampSpan = { prefix: 'function clamp(x, lo, hi) {\n  ret', middle: 'urn Math.min(hi, Math.max(lo, x));', suffix: '\n}\n' };
  const clampContext = { languageId: 'typescript', relativePath: 'redux/src/clamp.ts', prefix: clampSpan.prefix, suffix: clampSpan.suffix } as CompletionContext;

  it('psm: writes exactly the tokens of the prompt builder\'s psm prompt, then the middle', () => {
    const tokens = fimExampleTokens(encode, clampHeader, clampSpan, 'psm');
    const prompt = buildPrompt(clampContext, { fim: 'psm' });
    assert.equal(prompt.format, 'fim');
    assert.deepEqual(tokens, [...tokenizer.encode(prompt.text), ...encode(clampSpan.middle)]);
    // and spelled out: the special ids in the prompt builder's order, around the ordinary-text tokens
    assert.deepEqual(tokens, [
      FIM_PREFIX_ID, ...encode(clampHeader + clampSpan.prefix), FIM_SUFFIX_ID, ...encode(clampSpan.suffix), FIM_MIDDLE_ID, ...encode(clampSpan.middle),
    ]);
    assert.ok(!tokens.includes(END_OF_TEXT_ID));
    assert.equal(tokenizer.decode(tokens.slice(1, tokens.indexOf(FIM_SUFFIX_ID))), clampHeader + clampSpan.prefix);
  });

  it('spm: the suffix first, then header, prefix and middle encoded as one text, so the prompt builder\'s spm prompt is the example cut at the cursor', () => {
    const tokens = fimExampleTokens(encode, clampHeader, clampSpan, 'spm');
    assert.deepEqual(tokens, [FIM_PREFIX_ID, FIM_SUFFIX_ID, ...encode(clampSpan.suffix), FIM_MIDDLE_ID, ...encode(clampHeader + clampSpan.prefix + clampSpan.middle)]);
    const prompt = buildPrompt(clampContext, { fim: 'spm' });
    assert.equal(prompt.format, 'fim');
    assert.equal(tokenizer.decode(tokens), prompt.text + clampSpan.middle);
    // `ret|urn` is one token in the example: the prompt's last pre-token is what token healing takes back at inference
    assert.ok(!tokens.includes(END_OF_TEXT_ID));
    assert.equal(tokenizer.decode(tokens.slice(tokens.indexOf(FIM_MIDDLE_ID) + 1)), clampHeader + clampSpan.prefix + clampSpan.middle);
  });

  it('never turns special-token text inside a file into special ids', () => {
    for (const order of FIM_ORDERS) {
      const tokens = fimExampleTokens(encode, '// p/a.ts\n', { prefix: 'const s = "<fim_middle>";\n', middle: 'x();\n', suffix: 'y("<|endoftext|>");\n' }, order);
      assert.equal(tokens.filter((t) => t <= FIM_SUFFIX_ID).length, 3, order);
    }
  });

  it('makes one example per piece of a long file, each with the header, and leaves uncuttable pieces plain', () => {
    const header = '// pkg/lib/a.ts\n';
    const lines = Array.from({ length: 30 }, (_, i) => `export const value${i} = compute(${i});\n`);
    const text = lines.join('');
    const options = { rate: 1, maxPieceBytes: 400, maxMiddleLines: 4, order: 'spm' } as const;
    const examples = fimDocumentTokens(encode, 'pkg/lib/a.ts', header, text, options);
    const pieces = splitAtLines(text, 400);
    assert.equal(examples.length, pieces.length);
    assert.ok(pieces.length > 1);
    examples.forEach((ids, i) => {
      const span = fimSpan(pieces[i], `pkg/lib/a.ts#${i}`, 4)!;
      assert.deepEqual(ids, fimExampleTokens(encode, header, span, 'spm'));
    });
    assert.deepEqual(fimDocumentTokens(encode, 'k', header, 'only(1);\n', options), [encode(header + 'only(1);\n')]);
  });

  it('chooses about the configured share of files, by a hash of the file name', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `pkg${i % 7}/src/file${i}.ts`);
    const chosen = keys.filter((k) => isFimFile(k, 0.5)).length;
    assert.ok(chosen > 900 && chosen < 1100, `${chosen} of 2000`);
    assert.equal(keys.filter((k) => isFimFile(k, 0)).length, 0);
    assert.equal(keys.filter((k) => isFimFile(k, 1)).length, 2000);
    assert.deepEqual(keys.map((k) => isFimFile(k, 0.5)), keys.map((k) => isFimFile(k, 0.5)));
  });
});
