import { strict as assert } from 'node:assert';
import { syntheticFile } from '../../../bench/lib/syntheticWorkspace';
import { identifierSet } from '../../../src/workspace/identifiers';
import { languageFamily, languageOfPath } from '../../../src/workspace/languages';
import { MIN_SIMILARITY, SNIPPET_INDEX_CAP_BYTES, SnippetIndex, WINDOW_LINES, WINDOW_STRIDE } from '../../../src/workspace/snippetIndex';

const MATH = [
  'export function clamp(value: number, min: number, max: number): number {',
  '  return Math.min(max, Math.max(min, value));',
  '}',
].join('\n');

describe('workspace/identifiers and languages', () => {
  it('identifier sets leave out keywords and one-letter names', () => {
    assert.deepEqual([...identifierSet('export function clamp(value: number, x) { return Math.min(value, x); }')], ['clamp', 'value', 'Math', 'min']);
  });
  it('language by extension, and families that share snippets', () => {
    assert.equal(languageOfPath('src/a.TSX'), 'typescriptreact');
    assert.equal(languageOfPath('Makefile'), null);
    assert.equal(languageOfPath('dir.ts/file'), null);
    assert.equal(languageFamily('typescriptreact'), languageFamily('javascript'));
    assert.notEqual(languageFamily('python'), languageFamily('javascript'));
  });
});

describe('workspace/snippetIndex: Jaccard similarity over identifier sets of sliding windows', () => {
  it('finds the window of another file that shares the most identifiers, with its exact score', () => {
    const index = new SnippetIndex();
    index.add({ key: 'math', relativePath: 'src/math.ts', languageId: 'typescript' }, MATH, 1);
    index.add({ key: 'greet', relativePath: 'src/greet.ts', languageId: 'typescript' }, 'export function greet(name: string) {\n  return `Hello ${name}`;\n}', 0);
    const hits = index.query({ text: 'const v = clamp(value, min, max);', languageId: 'typescript', excludeKey: 'current', maxHits: 2 });
    // query {clamp, value, min, max}; window {clamp, value, min, max, Math}: 4 / 5
    assert.deepEqual(hits, [{ key: 'math', relativePath: 'src/math.ts', languageId: 'typescript', startLine: 0, endLine: 3, score: 4 / 5 }]);
  });

  it('never returns the query document, another language family, or a score below the threshold', () => {
    const index = new SnippetIndex();
    index.add({ key: 'math', relativePath: 'src/math.ts', languageId: 'typescript' }, MATH, 0);
    index.add({ key: 'py', relativePath: 'm.py', languageId: 'python' }, 'def clamp(value, min, max):\n    return min(max, value)', 0);
    assert.deepEqual(index.query({ text: 'clamp(value, min, max)', languageId: 'typescript', excludeKey: 'math', maxHits: 3 }), []);
    assert.deepEqual(index.query({ text: 'clamp(value, min, max)', languageId: 'python', excludeKey: 'x', maxHits: 3 }).map((h) => h.key), ['py']);
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const low = index.query({ text: `${words} clamp`, languageId: 'javascript', excludeKey: 'x', maxHits: 3 });
    assert.deepEqual(low, [], `1 shared identifier of 65 is below ${MIN_SIMILARITY}`);
  });

  it('windows of WINDOW_LINES lines every WINDOW_STRIDE lines; ties go to the more relevant file', () => {
    assert.deepEqual([WINDOW_LINES, WINDOW_STRIDE], [16, 8]);
    const lines = Array.from({ length: 40 }, (_, i) => `const name${i} = other${i};`);
    const index = new SnippetIndex();
    index.add({ key: 'b', relativePath: 'b.ts', languageId: 'typescript' }, lines.join('\n'), 5);
    index.add({ key: 'a', relativePath: 'a.ts', languageId: 'typescript' }, lines.join('\n'), 1);
    const hits = index.query({ text: lines.slice(24, 40).join('\n'), languageId: 'typescript', excludeKey: 'x', maxHits: 2 });
    assert.deepEqual(hits.map((h) => [h.key, h.startLine, h.endLine, h.score]), [['a', 24, 40, 1], ['b', 24, 40, 1]]);
  });

  it(`a 5,000-file workspace is indexed whole within the stated memory cap (${SNIPPET_INDEX_CAP_BYTES / 2 ** 20} MiB)`, () => {
    const index = new SnippetIndex();
    for (let f = 0; f < 5000; f++) {
      const { relativePath, text } = syntheticFile(f);
      assert.ok(index.add({ key: relativePath, relativePath, languageId: 'typescript' }, text, f), `file ${f} fits`);
    }
    assert.equal(index.fileCount, 5000);
    assert.ok(index.memoryBytes <= SNIPPET_INDEX_CAP_BYTES, `${index.memoryBytes} bytes`);
  });

  it('files of only new identifiers (the worst case) are refused at the cap, never taking the index over it', () => {
    const index = new SnippetIndex(1 << 20);
    let refused = 0;
    for (let f = 0; f < 400; f++) {
      const text = Array.from({ length: 60 }, (_, l) => `const unique${f}_${l} = value${f}_${l};`).join('\n');
      if (!index.add({ key: `f${f}`, relativePath: `f${f}.ts`, languageId: 'typescript' }, text, f)) refused++;
      assert.ok(index.memoryBytes <= 1 << 20, `${index.memoryBytes} bytes after file ${f}`);
    }
    assert.ok(refused > 0 && index.fileCount + refused === 400);
  });

  it('re-adding a file replaces its windows; removing it gives its memory back', () => {
    const index = new SnippetIndex();
    const file = { key: 'm', relativePath: 'm.ts', languageId: 'typescript' };
    index.add(file, MATH, 0);
    const once = index.memoryBytes;
    index.add(file, MATH, 0);
    assert.equal(index.memoryBytes, once);
    index.remove('m');
    assert.ok(index.memoryBytes < once);
    assert.deepEqual(index.query({ text: 'clamp(value, min, max)', languageId: 'typescript', excludeKey: 'x', maxHits: 1 }), []);
  });
});
