import { strict as assert } from 'node:assert';
import { CACHE_MEMORY_CAP_BYTES, DocumentCacheStore, offsetBefore } from '../../../src/engine/cacheStore';
import { CACHE_LIMITS } from '../../../src/engine/protocol';
import { cacheDistribution } from '../../../src/engine/ngramCache';

/** One token per UTF-16 unit (vocabulary 65536): the worst case for tokens per character among ASCII text. */
const encodeChars = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const charOf = (id: number) => String.fromCharCode(id);
const store = () => {
  const s = new DocumentCacheStore();
  s.useTokenizer(encodeChars, 65536, charOf);
  return s;
};
const ids = (text: string) => encodeChars(text);

describe('engine/cacheStore: the documents the copy model counts over', () => {
  it('edits apply in order at the offsets the previous edit left, and the index follows after reindexing', () => {
    const s = store();
    s.put('a.ts', 'typescript', 1, 'let x = 1;\n');
    assert.ok(s.edit('a.ts', 2, [{ offset: 4, deleteCount: 1, text: 'value' }, { offset: 0, deleteCount: 3, text: 'const' }]));
    assert.equal(s.textOf('a.ts'), 'const value = 1;\n');
    assert.equal(s.reindexStale(), 1);
    const dist = cacheDistribution(s.indexesFor('a.ts', 'typescript'), ids('va'));
    assert.deepEqual([...dist!.counts], [['l'.charCodeAt(0), 1]]);
  });

  it('an edit out of bounds or for an unknown document drops it (the host sends it in full again)', () => {
    const s = store();
    s.put('a.ts', 'typescript', 1, 'abc');
    assert.equal(s.edit('b.ts', 2, [{ offset: 0, deleteCount: 0, text: 'x' }]), false);
    assert.equal(s.edit('a.ts', 2, [{ offset: 2, deleteCount: 5, text: '' }]), false);
    assert.equal(s.has('a.ts'), false);
  });

  it('counts over the requested document and the others of its language only', () => {
    const s = store();
    s.put('cur.py', 'python', 1, 'zq1');
    s.put('other.py', 'python', 1, 'zq2');
    s.put('other.ts', 'typescript', 1, 'zq3');
    s.reindexStale();
    const dist = cacheDistribution(s.indexesFor('cur.py', 'python'), ids('zq'));
    assert.deepEqual([...dist!.counts.keys()].sort(), [...'12'].map((c) => c.charCodeAt(0)));
  });

  it('the requested document is tokenized at once if it never was; stale ones keep their last index', () => {
    const s = store();
    s.put('a.ts', 'typescript', 1, 'ab1');
    assert.equal(cacheDistribution(s.indexesFor('a.ts', 'typescript'), ids('ab'))!.counts.get('1'.charCodeAt(0)), 1);
    s.edit('a.ts', 2, [{ offset: 2, deleteCount: 1, text: '2' }]);
    assert.equal(cacheDistribution(s.indexesFor('a.ts', 'typescript'), ids('ab'))!.counts.get('1'.charCodeAt(0)), 1, 'stale until reindexed');
    s.reindexStale();
    assert.equal(cacheDistribution(s.indexesFor('a.ts', 'typescript'), ids('ab'))!.counts.get('2'.charCodeAt(0)), 1);
  });

  it('in the document being completed, what follows the cursor is not counted: a line not typed yet does not predict its own line break', () => {
    // The buffer at the cursor: `y = comp` typed, the rest of its line not yet. The prompt ends with
    // the same tokens, so the document matches it at the cursor, where a line break follows.
    const typed = 'x = compute(1);\ny = comp';
    const s = store();
    s.put('a.ts', 'typescript', 1, `${typed}\nw = compare;\n`);
    const context = ids('y = comp');
    const counted = (cursor: number) => {
      const dist = cacheDistribution(s.indexesFor('a.ts', 'typescript', cursor), context)!;
      return { matchTokens: dist.matchTokens, next: [...dist.counts].map(([id, n]) => [String.fromCharCode(id), n]).sort() };
    };
    assert.deepEqual(counted(typed.length), { matchTokens: 7, next: [['a', 1], ['u', 1]] }, 'what followed `= comp` above and below the cursor, not the line break at it');
    // The same occurrence seen from a cursor elsewhere is ordinary text that counts.
    assert.deepEqual(counted(0), { matchTokens: 8, next: [['\n', 1]] });
  });

  it('a stale index still finds the cursor (through the edits since), and typing on keeps it out', () => {
    const typed = 'x = compute(1);\ny = comp';
    const s = store();
    s.put('a.ts', 'typescript', 1, `${typed}\nw = compare;\n`);
    s.reindexStale();
    const header = '// head\n';
    s.edit('a.ts', 2, [{ offset: 0, deleteCount: 0, text: header }]);
    const dist = cacheDistribution(s.indexesFor('a.ts', 'typescript', header.length + typed.length), ids('y = comp'))!;
    assert.deepEqual([...dist.counts.keys()].map((id) => String.fromCharCode(id)).sort(), ['a', 'u']);
    assert.equal(s.hasStale, true, 'found without tokenizing the document again');
  });

  it('offsetBefore: an offset of the edited text in the text before the edits', () => {
    const edits = [
      { offset: 2, deleteCount: 1, text: 'XYZ' }, // 'abcdef' -> 'abXYZdef'
      { offset: 0, deleteCount: 0, text: '>' }, // -> '>abXYZdef'
    ];
    assert.deepEqual([0, 1, 3, 4, 6, 7, 9].map((o) => offsetBefore(o, edits)), [0, 0, 2, 2, 3, 4, 6]);
  });

  it('a new tokenizer (a new model) makes every document stale', () => {
    const s = store();
    s.put('a.ts', 'typescript', 1, 'ab1');
    s.reindexStale();
    s.useTokenizer(encodeChars, 65536, charOf);
    assert.equal(s.hasStale, true);
  });

  it(`memory stays under the stated cap (${CACHE_MEMORY_CAP_BYTES / 2 ** 20} MiB) whatever is sent; least recently used go first`, () => {
    const s = store();
    // Worst case for the index: every character a token and almost every token pair distinct.
    let seed = 1;
    const randomText = (n: number) =>
      Array.from({ length: n }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return String.fromCharCode(32 + (seed % 20000));
      }).join('');
    for (let i = 0; i < 12; i++) {
      s.put(`f${i}.ts`, 'typescript', 1, randomText(CACHE_LIMITS.maxDocumentChars / 2));
      s.reindexStale();
      s.indexesFor(`f${i}.ts`, 'typescript');
      assert.ok(s.memoryBytes <= CACHE_MEMORY_CAP_BYTES, `after ${i + 1} documents: ${s.memoryBytes} bytes`);
    }
    assert.ok(s.has('f11.ts') && !s.has('f0.ts'), 'the newest stays, the oldest went');
    assert.ok(s.size <= CACHE_LIMITS.maxDocuments);
    s.put('huge.ts', 'typescript', 1, 'x'.repeat(CACHE_LIMITS.maxDocumentChars + 1));
    assert.equal(s.has('huge.ts'), false, 'a document over the per-document limit is not cached');
  });
});
