/**
 * The host's side of the copy model's documents (src/engine/cacheStore.ts): which documents the
 * worker should count over, and their changes. Typing only queues an edit (`change`, O(1)); `flush`
 * (on an idle timer, and before each completion request) applies the queued edits to the host's copy
 * and sends them, or the whole text to a worker that does not have the document yet (a new or
 * restarted worker). The same limits as the worker's store keep both copies bounded; the least
 * recently used document goes first, and the worker is told.
 */
import { CACHE_LIMITS, type CacheMessage, type CacheTarget, type TextEdit } from '../engine/protocol';
import { languageFamily } from './languages';

/** The model worker as the cache sees it. */
export interface CacheChannel {
  /** Posts to the running worker; false when none runs (nothing was sent). */
  post(message: CacheMessage): boolean;
  /** Identity of the running worker (a restarted worker has a new one and an empty store); null when none. */
  readonly workerId: number | null;
}

interface TrackedDocument {
  family: string;
  version: number;
  text: string;
  pending: TextEdit[];
  /** Worker that holds the document as of `text` (before `pending`); null: none. */
  sentTo: number | null;
  /** Edited in this session: kept after its editor closes (a recently edited file). */
  edited: boolean;
  lastUsed: number;
}

export class CacheSync {
  private readonly documents = new Map<string, TrackedDocument>();
  private clock = 0;

  constructor(private readonly channel: CacheChannel) {}

  get size(): number {
    return this.documents.size;
  }

  has(key: string): boolean {
    return this.documents.has(key);
  }

  /** A document to count over (opened, or known in full again). */
  open(key: string, languageId: string, version: number, text: string): void {
    const known = this.documents.get(key);
    if (known && known.version === version && known.pending.length === 0) return;
    this.forgetLocally(key);
    if (text.length > CACHE_LIMITS.maxDocumentChars) return;
    this.documents.set(key, { family: languageFamily(languageId), version, text, pending: [], sentTo: null, edited: known?.edited ?? false, lastUsed: ++this.clock });
    this.evict(key);
  }

  /** Edits of a tracked document, each at offsets of the text the previous one left. */
  change(key: string, version: number, edits: readonly TextEdit[]): void {
    const doc = this.documents.get(key);
    if (!doc) return;
    doc.pending.push(...edits);
    doc.version = version;
    doc.edited = true;
    doc.lastUsed = ++this.clock;
  }

  /** Its editor closed: a document edited in this session stays (recently edited), any other goes. */
  close(key: string): void {
    if (this.documents.get(key)?.edited) return;
    this.forget(key);
  }

  forget(key: string): void {
    if (this.forgetLocally(key)) this.channel.post({ type: 'cacheForget', key });
  }

  /** Forgets every document (the feature was turned off). */
  clear(): void {
    for (const key of [...this.documents.keys()]) this.forget(key);
  }

  /** Brings the worker's copy up to date. */
  flush(): void {
    const worker = this.channel.workerId;
    for (const [key, doc] of this.documents) {
      let text = doc.text;
      for (const e of doc.pending) text = text.slice(0, e.offset) + e.text + text.slice(e.offset + e.deleteCount);
      if (text.length > CACHE_LIMITS.maxDocumentChars) {
        this.forget(key);
        continue;
      }
      if (worker === null) {
        doc.sentTo = null;
      } else if (doc.sentTo === worker) {
        if (doc.pending.length > 0 && !this.channel.post({ type: 'cacheEdit', key, version: doc.version, edits: doc.pending })) doc.sentTo = null;
      } else {
        doc.sentTo = this.channel.post({ type: 'cacheDocument', key, languageId: doc.family, version: doc.version, text }) ? worker : null;
      }
      doc.text = text;
      doc.pending = [];
    }
    this.evict(null);
  }

  /** The copy model's target for a request at `cursorOffset` of `key` (after a flush), or null when the document is not tracked. */
  target(key: string, cursorOffset: number): CacheTarget | null {
    const doc = this.documents.get(key);
    if (!doc) return null;
    doc.lastUsed = ++this.clock;
    this.flush();
    return this.documents.has(key) ? { documentKey: key, languageId: doc.family, cursorOffset } : null;
  }

  /** The text the host holds (after applying queued edits on flush); for tests. */
  textOf(key: string): string | undefined {
    return this.documents.get(key)?.text;
  }

  private forgetLocally(key: string): boolean {
    return this.documents.delete(key);
  }

  private evict(keep: string | null): void {
    const chars = () => [...this.documents.values()].reduce((n, d) => n + d.text.length, 0);
    while (this.documents.size > CACHE_LIMITS.maxDocuments || chars() > CACHE_LIMITS.maxTotalChars) {
      let victim: string | null = null;
      let oldest = Infinity;
      for (const [k, d] of this.documents) if (k !== keep && d.lastUsed < oldest) [victim, oldest] = [k, d.lastUsed];
      if (victim === null) return;
      this.forget(victim);
    }
  }
}
