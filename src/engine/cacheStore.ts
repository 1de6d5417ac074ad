/**
 * The worker's copy of the documents the copy model counts over (the current document, the other open
 * documents and recently edited files), kept in step with the host by small messages: a document once
 * in full (`cacheDocument`), then its edits (`cacheEdit`), and `cacheForget` when the host drops it.
 *
 * Tokens come from the model's own tokenizer (`useTokenizer`, on each model load), so the cache's n-grams are the ones the model generates.
 * An edit only marks the document stale: it is tokenized again later, in the worker's idle time
 * (`reindexStale`), never while the user types. A request uses the latest index it finds, stale or not.
 *
 * Memory is bounded by CACHE_LIMITS (characters and tokens over all documents; the least recently
 * used go first) and the accounted total stays under CACHE_MEMORY_CAP_BYTES (a unit test holds it).
 */
import { TokenNgramIndex, tokenEndOffsets, type NgramSource } from './ngramCache';
import { CACHE_LIMITS, type TextEdit } from './protocol';

/** Edits of a document followed since its last index; past that, a request re-indexes it first. */
const MAX_FOLLOWED_EDITS = 256;

/** Where `offset` of the text after `edits` was in the text before them (an offset inside inserted text goes to where the insertion was). */
export function offsetBefore(offset: number, edits: readonly TextEdit[]): number {
  let at = offset;
  for (let i = edits.length - 1; i >= 0; i--) {
    const e = edits[i];
    if (at <= e.offset) continue;
    const insertedEnd = e.offset + e.text.length;
    at = at >= insertedEnd ? at - e.text.length + e.deleteCount : e.offset;
  }
  return at;
}

/** Upper bound of `memoryBytes` (text at 2 bytes a character, plus the indexes at their accounted size), bytes. */
export const CACHE_MEMORY_CAP_BYTES = 16 * 1024 * 1024;

interface CachedDocument {
  languageId: string;
  version: number;
  text: string;
  index: TokenNgramIndex | null;
  /** The index is of an older text. */
  stale: boolean;
  /** Edits since the text the index is of, in order (to find a cursor of the newer text in it); null: too many to follow. */
  editsSinceIndex: TextEdit[] | null;
  lastUsed: number;
}

export class DocumentCacheStore {
  private readonly documents = new Map<string, CachedDocument>();
  private clock = 0;
  private tokenizer: { encode: (text: string) => number[]; vocabSize: number; tokenText: (id: number) => string } | null = null;

  /**
   * The loaded model's tokenizer; every document is tokenized again with it (a new model, new token ids).
   * `tokenText(id)`: the token's text, to place each token in its document (the cursor's occurrence is left out).
   */
  useTokenizer(encode: (text: string) => number[], vocabSize: number, tokenText: (id: number) => string): void {
    this.tokenizer = { encode, vocabSize, tokenText };
    for (const doc of this.documents.values()) {
      doc.index = null;
      doc.stale = true;
    }
  }

  private indexOf(text: string): TokenNgramIndex {
    const { encode, vocabSize, tokenText } = this.tokenizer!;
    const ids = encode(text);
    return new TokenNgramIndex(ids, vocabSize, tokenEndOffsets(text, ids, tokenText));
  }

  private reindex(doc: CachedDocument): void {
    doc.index = this.indexOf(doc.text);
    doc.stale = false;
    doc.editsSinceIndex = [];
  }

  get size(): number {
    return this.documents.size;
  }

  has(key: string): boolean {
    return this.documents.has(key);
  }

  /** Keys of the cached documents, least recently used first (for tests and logs). */
  keys(): string[] {
    return [...this.documents.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed).map(([k]) => k);
  }

  /** Stores (or replaces) a document; it is indexed on the next `reindexStale`. */
  put(key: string, languageId: string, version: number, text: string): void {
    this.documents.delete(key);
    if (text.length > CACHE_LIMITS.maxDocumentChars) return;
    this.documents.set(key, { languageId, version, text, index: null, stale: true, editsSinceIndex: [], lastUsed: ++this.clock });
    this.evict(key);
  }

  /**
   * Applies edits (each at offsets of the text as the previous edit left it). An edit for a document
   * not held, or out of its bounds, drops the document: the host sends it in full again when it needs it.
   */
  edit(key: string, version: number, edits: readonly TextEdit[]): boolean {
    const doc = this.documents.get(key);
    if (!doc) return false;
    let text = doc.text;
    for (const e of edits) {
      if (e.offset + e.deleteCount > text.length) {
        this.documents.delete(key);
        return false;
      }
      text = text.slice(0, e.offset) + e.text + text.slice(e.offset + e.deleteCount);
    }
    if (text.length > CACHE_LIMITS.maxDocumentChars) {
      this.documents.delete(key);
      return false;
    }
    doc.text = text;
    doc.version = version;
    doc.stale = true;
    if (doc.editsSinceIndex) {
      doc.editsSinceIndex.push(...edits);
      if (doc.editsSinceIndex.length > MAX_FOLLOWED_EDITS) doc.editsSinceIndex = null;
    }
    doc.lastUsed = ++this.clock;
    this.evict(key);
    return true;
  }

  forget(key: string): void {
    this.documents.delete(key);
  }

  /** The text as the worker holds it (tests). */
  textOf(key: string): string | undefined {
    return this.documents.get(key)?.text;
  }

  /** Whether some document waits to be tokenized. */
  get hasStale(): boolean {
    for (const doc of this.documents.values()) if (doc.stale) return true;
    return false;
  }

  /** Tokenizes up to `maxDocuments` stale documents (most recently used first); returns how many. */
  reindexStale(maxDocuments = Infinity): number {
    if (!this.tokenizer) return 0;
    const stale = [...this.documents.values()].filter((d) => d.stale).sort((a, b) => b.lastUsed - a.lastUsed);
    let done = 0;
    for (const doc of stale.slice(0, maxDocuments)) {
      this.reindex(doc);
      done++;
    }
    this.evict(null);
    return done;
  }

  /**
   * The indexes a request at `documentKey` counts over: that document's and those of the other
   * documents of its language. The requested document is tokenized now if it never was (or if its
   * index cannot place `cursor`). `cursor` (a character offset in the document's current text): the
   * occurrence of the context at the cursor itself is left out of that document's counts
   * (TokenNgramIndex.visitMatches); a stale index finds the cursor through the edits since.
   */
  indexesFor(documentKey: string, languageId: string, cursor?: number): NgramSource[] {
    const current = this.documents.get(documentKey);
    if (!this.tokenizer) return [];
    if (current) {
      current.lastUsed = ++this.clock;
      if (!current.index || (cursor !== undefined && current.editsSinceIndex === null)) {
        this.reindex(current);
        this.evict(documentKey);
      }
    }
    const out: NgramSource[] = [];
    for (const [key, doc] of this.documents) {
      if (!doc.index) continue;
      if (key === documentKey) out.push(cursor === undefined ? doc.index : doc.index.atCursor(offsetBefore(cursor, doc.editsSinceIndex!)));
      else if (doc.languageId === languageId) out.push(doc.index);
    }
    return out;
  }

  /** Accounted memory of the texts and indexes, bytes. */
  get memoryBytes(): number {
    let bytes = 0;
    for (const doc of this.documents.values()) bytes += doc.text.length * 2 + (doc.index?.memoryBytes ?? 0);
    return bytes;
  }

  /** Drops the least recently used documents (never `keep`) until the limits hold. */
  private evict(keep: string | null): void {
    const over = () => {
      let chars = 0;
      let tokens = 0;
      for (const doc of this.documents.values()) {
        chars += doc.text.length;
        tokens += doc.index?.tokens.length ?? 0;
      }
      return this.documents.size > CACHE_LIMITS.maxDocuments || chars > CACHE_LIMITS.maxTotalChars || tokens > CACHE_LIMITS.maxTotalTokens;
    };
    while (over()) {
      const victim = this.keys().find((k) => k !== keep);
      if (victim === undefined) {
        // The kept document alone is over a limit (a document of many multi-byte characters): it goes too.
        if (keep !== null) this.documents.delete(keep);
        return;
      }
      this.documents.delete(victim);
    }
  }
}
