import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CacheMessage } from '../../../src/engine/protocol';
import { folderWorkspace } from '../../../src/workspace/folderWorkspace';
import { FsWorkspaceSource } from '../../../src/workspace/fsSource';
import { MAX_INDEXED_FILE_CHARS, WorkspaceIndexer, type WorkspaceSource } from '../../../src/workspace/indexer';
import { snippetBlock, snippetLabel } from '../../../src/workspace/snippetBlock';
import { SnippetIndex } from '../../../src/workspace/snippetIndex';
import { retrievalQuery, WorkspaceContext } from '../../../src/workspace/workspaceContext';

const memorySource = (files: Record<string, string>): WorkspaceSource => ({
  listFiles: async () => Object.keys(files).map((key) => ({ key, relativePath: key, languageId: 'typescript' })),
  read: async (key) => files[key] ?? null,
});

describe('workspace/indexer: indexing in slices that yield to the event loop', () => {
  it('yields after each slice of work (a fake clock: each file costs 3 ms, slices of 4 ms)', async () => {
    const files = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.ts`, `const alpha${i} = beta(gamma, delta);`]));
    let clock = 0;
    const index = new SnippetIndex();
    const realAdd = index.add.bind(index);
    index.add = (...args) => {
      clock += 3;
      return realAdd(...args);
    };
    let yields = 0;
    const report = await new WorkspaceIndexer(index, memorySource(files), {
      sliceMs: 4,
      now: () => clock,
      yieldToEventLoop: async () => void yields++,
    }).indexAll();
    assert.deepEqual(report, { indexed: 10, skipped: 0, full: false, slices: 5 });
    assert.equal(yields, 5, 'one yield every two files');
  });

  it('skips binary and oversized files, stops at the memory cap, and can be stopped', async () => {
    const files = { 'a.ts': 'const alpha = beta(gamma);', 'bin.ts': 'a\u0000b', 'big.ts': 'x'.repeat(MAX_INDEXED_FILE_CHARS + 1), 'c.ts': 'const one = two(three);' };
    const report = await new WorkspaceIndexer(new SnippetIndex(), memorySource(files)).indexAll();
    assert.deepEqual(report.indexed, 2);
    assert.deepEqual(report.skipped, 2);
    const full = await new WorkspaceIndexer(new SnippetIndex(100), memorySource(files)).indexAll();
    assert.deepEqual([full.indexed, full.full], [0, true]);
    const indexer = new WorkspaceIndexer(new SnippetIndex(), memorySource(files));
    indexer.stop();
    assert.equal((await indexer.indexAll()).indexed, 0);
  });
});

describe('workspace/fsSource + WorkspaceContext: a folder on disk (--workspace DIR)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgpt-ws-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.mkdirSync(path.join(dir, 'node_modules', 'dep'), { recursive: true });
    fs.mkdirSync(path.join(dir, '.git'));
    fs.writeFileSync(path.join(dir, 'src', 'math.ts'), 'export function clamp(value: number, min: number, max: number): number {\n  return Math.min(max, Math.max(min, value));\n}\n');
    fs.writeFileSync(path.join(dir, 'src', 'main.ts'), 'import { clamp } from "./math";\n');
    fs.writeFileSync(path.join(dir, 'node_modules', 'dep', 'index.js'), 'module.exports = clamp;');
    fs.writeFileSync(path.join(dir, '.git', 'x.ts'), 'no');
    fs.writeFileSync(path.join(dir, 'README.txt'), 'not code');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists source files in path order, skipping dependency and hidden folders', async () => {
    const source = new FsWorkspaceSource(dir);
    assert.deepEqual((await source.listFiles()).map((f) => [f.relativePath, f.languageId]), [['src/main.ts', 'typescript'], ['src/math.ts', 'typescript']]);
    assert.throws(() => new FsWorkspaceSource(path.join(dir, 'missing')), /--workspace .*missing: not a folder/);
  });

  it('folderWorkspace: the edited buffer replaces the file, is never its own snippet, and goes to the copy model', async () => {
    const sent: CacheMessage[] = [];
    const ws = folderWorkspace(dir, { post: (m) => sent.push(m) > 0, workerId: 1 });
    assert.deepEqual((await ws.indexAll()).indexed, 2);
    const math = path.join(dir, 'src', 'math.ts');
    ws.openBuffer(math, 'typescript', 'export function clampAll(values: number[]) {\n  ');
    assert.equal(await ws.source.read(math), 'export function clampAll(values: number[]) {\n  ');
    assert.deepEqual(ws.context.findSnippets({ documentKey: math, languageId: 'typescript', queryText: 'clamp(value, min, max)' }), []);
    assert.deepEqual(ws.context.cacheTarget(math, 47), { documentKey: math, languageId: 'js', cursorOffset: 47 });
    assert.deepEqual(sent, [{ type: 'cacheDocument', key: math, languageId: 'js', version: 1, text: 'export function clampAll(values: number[]) {\n  ' }]);
  });

  it('the snippet of another file, as comment lines headed by its path, within a character budget', async () => {
    const source = new FsWorkspaceSource(dir);
    const index = new SnippetIndex();
    await new WorkspaceIndexer(index, source).indexAll();
    const main = path.join(dir, 'src', 'main.ts');
    source.buffers.set(main, 'export function clampAll(values: number[], min: number, max: number) {\n  ');
    const ctx = new WorkspaceContext(index, source, null);
    const hits = ctx.findSnippets({ documentKey: main, languageId: 'typescript', queryText: retrievalQuery(source.buffers.get(main)!) });
    assert.deepEqual(hits.map((h) => h.relativePath), ['src/math.ts']);
    const block = snippetBlock('typescript', await ctx.readSnippets(hits), 1000);
    assert.equal(
      block.text,
      '// Compare this snippet from src/math.ts:\n' +
        '// export function clamp(value: number, min: number, max: number): number {\n' +
        '//   return Math.min(max, Math.max(min, value));\n' +
        '// }\n',
    );
    assert.deepEqual(block.used.map(snippetLabel), ['src/math.ts:1-3']);
    const cut = snippetBlock('python', await ctx.readSnippets(hits), 167);
    assert.deepEqual([cut.text.split('\n').length - 1, cut.used.map(snippetLabel)], [3, ['src/math.ts:1-2']], 'cut at whole lines');
    assert.deepEqual(snippetBlock('typescript', await ctx.readSnippets(hits), 60).used, [], 'less than two lines: left out');
    assert.equal(ctx.cacheTarget(main, 0), null, 'no copy model without a CacheSync');
  });
});

describe('workspace/indexer: idle time only', () => {
  it('waits while the user types (isBusy) and goes on when typing stops', async () => {
    let busyChecks = 0;
    const files = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`f${i}.ts`, `const alpha${i} = beta(gamma, delta);`]));
    let clock = 0;
    const report = await new WorkspaceIndexer(new SnippetIndex(), memorySource(files), {
      sliceMs: 0,
      now: () => clock++,
      yieldToEventLoop: async () => undefined,
      isBusy: () => ++busyChecks <= 2, // busy for the first two checks
    }).indexAll();
    assert.equal(report.indexed, 3);
    assert.equal(busyChecks, 2 + 3, 'two busy waits, then one check per slice');
  });
});

describe('workspace/WorkspaceContext: stable snippets', () => {
  it('keeps the snippets a document last had while they stay among the best, so the prompt start stays put', () => {
    const index = new SnippetIndex();
    const file = (name: string, words: string) => index.add({ key: name, relativePath: name, languageId: 'typescript' }, words, 0);
    file('a.ts', 'alpha beta gamma delta');
    file('b.ts', 'alpha beta gamma epsilon');
    file('c.ts', 'alpha beta zeta theta');
    file('d.ts', 'omega sigma tau upsilon');
    const ctx = new WorkspaceContext(index, memorySource({}), null);
    const ask = (queryText: string) => ctx.findSnippets({ documentKey: 'cur', languageId: 'typescript', queryText }).map((h) => h.key);
    assert.deepEqual(ask('alpha beta gamma delta'), ['a.ts', 'b.ts']);
    // c.ts now scores best, but a.ts and b.ts are still in the top four: kept.
    assert.deepEqual(ask('alpha beta zeta theta gamma'), ['a.ts', 'b.ts']);
    // a.ts drops out of the candidates: the best ones now.
    assert.deepEqual(ask('omega sigma tau upsilon'), ['d.ts']);
  });
});
