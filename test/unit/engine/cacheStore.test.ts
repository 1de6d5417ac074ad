import { strict as assert } from 'node:assert';
import { CACHE_LIMITS, CACHE_MEMORY_CAP_BYTES, DocumentCacheStore } from '../../../src/engine/cacheStore';
import { cacheDistribution } from '../../../src/engine/ngramCache';

/** One token per UTF-16 unit (vocabulary 65536): the worst case for tokens per character among ASCII text. */
const encodeChars = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const store = () => {
  const s = new DocumentCacheStore();
  s.useTokenizer(encodeChars, 65536);
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

  it('a new tokenizer (a new model) makes every document stale', () => {
    const s = store();
    s.put('a.ts', 'typescript', 1, 'ab1');
    s.reindexStale();
    s.useTokenizer(encodeChars, 65536);
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
