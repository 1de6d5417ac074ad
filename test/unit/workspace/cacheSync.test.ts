import { strict as assert } from 'node:assert';
import { DocumentCacheStore } from '../../../src/engine/cacheStore';
import { CACHE_LIMITS, type CacheMessage } from '../../../src/engine/protocol';
import { CacheSync, type CacheChannel } from '../../../src/workspace/cacheSync';

/** A channel into a real worker-side store, as the worker would apply the messages. */
class FakeWorker implements CacheChannel {
  readonly sent: CacheMessage[] = [];
  store = new DocumentCacheStore();
  workerId: number | null = 1;
  post(m: CacheMessage): boolean {
    if (this.workerId === null) return false;
    this.sent.push(m);
    if (m.type === 'cacheDocument') this.store.put(m.key, m.languageId, m.version, m.text);
    else if (m.type === 'cacheEdit') this.store.edit(m.key, m.version, m.edits);
    else this.store.forget(m.key);
    return true;
  }
  restart(): void {
    this.workerId = (this.workerId ?? 0) + 1;
    this.store = new DocumentCacheStore();
  }
}

const kinds = (w: FakeWorker) => w.sent.map((m) => m.type);

describe('workspace/cacheSync: the worker copy of the documents, by small messages', () => {
  it('a document goes once in full, then as its edits; typing only queues them until a flush', () => {
    const worker = new FakeWorker();
    const sync = new CacheSync(worker);
    sync.open('a', 'typescript', 1, 'let x = 1;');
    assert.deepEqual(kinds(worker), [], 'nothing sent until a flush');
    assert.deepEqual(sync.target('a', 4), { documentKey: 'a', languageId: 'js', cursorOffset: 4 });
    sync.change('a', 2, [{ offset: 9, deleteCount: 0, text: '2' }]);
    sync.change('a', 3, [{ offset: 0, deleteCount: 3, text: 'const' }]);
    assert.equal(worker.sent.length, 1);
    sync.flush();
    assert.deepEqual(worker.sent[1], { type: 'cacheEdit', key: 'a', version: 3, edits: [{ offset: 9, deleteCount: 0, text: '2' }, { offset: 0, deleteCount: 3, text: 'const' }] });
    assert.equal(worker.store.textOf('a'), 'const x = 12;');
    assert.equal(sync.textOf('a'), 'const x = 12;');
    sync.flush();
    assert.equal(worker.sent.length, 2, 'nothing new: nothing sent');
  });

  it('a restarted worker gets every document in full again', () => {
    const worker = new FakeWorker();
    const sync = new CacheSync(worker);
    sync.open('a', 'python', 1, 'abc');
    sync.flush();
    worker.restart();
    sync.change('a', 2, [{ offset: 3, deleteCount: 0, text: 'd' }]);
    sync.flush();
    assert.deepEqual(worker.sent.at(-1), { type: 'cacheDocument', key: 'a', languageId: 'python', version: 2, text: 'abcd' });
    assert.equal(worker.store.textOf('a'), 'abcd');
  });

  it('no worker running: nothing is lost, the document goes when one runs', () => {
    const worker = new FakeWorker();
    worker.workerId = null;
    const sync = new CacheSync(worker);
    sync.open('a', 'python', 1, 'abc');
    sync.flush();
    worker.workerId = 7;
    sync.flush();
    assert.equal(worker.store.textOf('a'), 'abc');
  });

  it('closing keeps an edited document (recently edited) and forgets an untouched one', () => {
    const worker = new FakeWorker();
    const sync = new CacheSync(worker);
    sync.open('edited', 'go', 1, 'x');
    sync.open('viewed', 'go', 1, 'y');
    sync.change('edited', 2, [{ offset: 1, deleteCount: 0, text: 'z' }]);
    sync.flush();
    sync.close('edited');
    sync.close('viewed');
    assert.deepEqual([sync.has('edited'), sync.has('viewed')], [true, false]);
    assert.deepEqual(worker.sent.at(-1), { type: 'cacheForget', key: 'viewed' });
    assert.equal(sync.target('viewed', 0), null);
  });

  it('the least recently used documents go beyond the limits, and the worker is told', () => {
    const worker = new FakeWorker();
    const sync = new CacheSync(worker);
    for (let i = 0; i < CACHE_LIMITS.maxDocuments + 3; i++) sync.open(`d${i}`, 'go', 1, `text ${i}`);
    sync.flush();
    assert.equal(sync.size, CACHE_LIMITS.maxDocuments);
    assert.deepEqual([sync.has('d0'), sync.has('d2'), sync.has('d3')], [false, false, true]);
    const big = 'x'.repeat(CACHE_LIMITS.maxDocumentChars);
    for (let i = 0; i < 4; i++) sync.open(`big${i}`, 'go', 1, big);
    sync.flush();
    assert.ok([...Array(4).keys()].filter((i) => sync.has(`big${i}`)).length <= Math.floor(CACHE_LIMITS.maxTotalChars / CACHE_LIMITS.maxDocumentChars));
    assert.equal(worker.store.size, sync.size, 'both sides hold the same documents');
  });
});
