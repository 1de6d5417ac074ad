/**
 * Snippet retrieval over workspace files: each file is cut into overlapping windows of lines, each
 * window kept as the set of its identifiers (interned to numbers); a query (the lines before the
 * cursor) is compared with the windows of the same language family by Jaccard similarity, and the
 * best windows of other files are returned. Texts are not kept: a hit names its file and lines, and
 * the caller reads them (an open document, or the file on disk).
 *
 * The index is inverted (identifier -> the windows that hold it), so a query touches only windows
 * that share an identifier with it, not the whole workspace: it runs on the extension host's thread.
 * A removed or re-indexed file leaves its old windows behind as dead entries, skipped by queries and
 * dropped from the lists once they are a quarter of all windows.
 *
 * Memory is bounded: an index holds at most `maxBytes` by its own accounting (identifier strings and
 * their lists, window records, files); a file that would go over is refused and the indexer stops
 * adding (files come in priority order, so what is left out is the least relevant).
 */
import { languageFamily } from './languages';
import { identifiersOfLine } from './identifiers';

/** Lines per window: about a function's worth. */
export const WINDOW_LINES = 16;
/** Lines between window starts (windows overlap by half). */
export const WINDOW_STRIDE = 8;
/** A window with fewer identifiers is mostly punctuation or blank. */
const MIN_WINDOW_IDENTIFIERS = 3;
/** Below this similarity a snippet is noise rather than context. */
export const MIN_SIMILARITY = 0.1;
/** Accounted memory of the index, bytes (the unit test holds a 5,000-file index to it). */
export const SNIPPET_INDEX_CAP_BYTES = 64 * 1024 * 1024;

/**
 * Accounting, bytes (measured with V8's heap statistics on the synthetic 5,000-file workspace): an
 * interned identifier (its string, Map entry and list object), a list entry while the list is short
 * (a JS array slot) and once it is long (its typed array's capacity counts, spare room included), a
 * window record (four typed arrays and the query's count array, capacity counted), a file (its record and window list).
 */
const BYTES_PER_IDENTIFIER = 128;
const BYTES_PER_SHORT_POSTING = 8;
const BYTES_PER_LONG_POSTING = 4;
const BYTES_PER_WINDOW = 16 + 8 + 2;
const BYTES_PER_FILE = 1280;
/** A list this long moves from a JS array to a typed array (most identifiers occur in a few windows). */
const LONG_LIST = 32;

export interface SnippetFile {
  /** Identity of the file (a URI string or an absolute path), as the source reads it. */
  key: string;
  /** Path shown in the prompt, relative to the workspace, with `/` separators. */
  relativePath: string;
  languageId: string;
}

interface IndexedFile extends SnippetFile {
  slot: number;
  family: string;
  /** Lower number = more relevant (open editors, recently edited, then the rest). */
  priority: number;
  /** Its windows' ids (entries of the window arrays). */
  windows: number[];
}

export interface SnippetHit extends SnippetFile {
  /** 0-based, end exclusive. */
  startLine: number;
  endLine: number;
  /** Jaccard similarity of identifier sets, 0..1. */
  score: number;
}

interface SnippetQuery {
  /** The code to find similar code for (the lines before the cursor). */
  text: string;
  languageId: string;
  /** The document being edited: never its own snippet source. */
  excludeKey: string;
  maxHits: number;
}

/** Element slots V8 holds for an array grown by `push` to `length` (it grows to old + old / 2 + 16). */
function jsArrayCapacity(length: number): number {
  let capacity = 0;
  while (capacity < length) capacity = capacity + (capacity >> 1) + 16;
  return capacity;
}

/** The windows of one identifier: a JS array while short, a growable Uint32Array once long. */
class PostingList {
  data: number[] | Uint32Array = [];
  length = 0;
  push(v: number): void {
    if (Array.isArray(this.data)) {
      this.data.push(v);
      if (this.data.length === LONG_LIST) this.data = Uint32Array.from({ length: LONG_LIST * 2 }, (_, i) => (this.data as number[])[i] ?? 0);
    } else {
      if (this.length === this.data.length) {
        const next = new Uint32Array(this.data.length * 2);
        next.set(this.data);
        this.data = next;
      }
      this.data[this.length] = v;
    }
    this.length++;
  }
  /** Bytes it holds by the accounting above. */
  get bytes(): number {
    return Array.isArray(this.data) ? jsArrayCapacity(this.data.length) * BYTES_PER_SHORT_POSTING : this.data.length * BYTES_PER_LONG_POSTING;
  }
  /** Keeps the entries `keep` maps to a number >= 0, renumbered. */
  filter(renumber: Int32Array): void {
    let n = 0;
    for (let i = 0; i < this.length; i++) {
      const w = renumber[this.data[i]];
      if (w >= 0) this.data[n++] = w;
    }
    if (Array.isArray(this.data)) this.data.length = n;
    this.length = n;
  }
}

export class SnippetIndex {
  private readonly identifiers = new Map<string, number>();
  /** Per identifier id: the windows that hold it (dead ones included until compaction). */
  private postings: PostingList[] = [];
  /** Per window: its file's slot (-1: dead), first line, end line, identifier count. */
  private windowFile = new Int32Array(1024);
  private windowStart = new Uint32Array(1024);
  private windowEnd = new Uint32Array(1024);
  private windowSize = new Uint32Array(1024);
  private windowCount = 0;
  /** Scratch for `query`: shared identifiers per window (all zero between queries). */
  private shared = new Uint16Array(0);
  private deadWindows = 0;
  /** Accounted bytes of all lists. */
  private postingBytes = 0;
  private readonly files = new Map<string, IndexedFile>();
  private readonly fileBySlot = new Map<number, IndexedFile>();
  private nextSlot = 0;
  /** Changes with every add or remove (callers key their cached query results on it). */
  version = 0;

  constructor(readonly maxBytes = SNIPPET_INDEX_CAP_BYTES) {}

  get fileCount(): number {
    return this.files.size;
  }

  /** Accounted memory, bytes (dead entries included until compaction frees them). */
  get memoryBytes(): number {
    return this.identifiers.size * BYTES_PER_IDENTIFIER + this.postingBytes + this.windowFile.length * BYTES_PER_WINDOW + this.files.size * BYTES_PER_FILE;
  }

  has(key: string): boolean {
    return this.files.has(key);
  }

  /**
   * Indexes (or re-indexes) a file. Returns false, indexing nothing, when the file would take the
   * index over its memory cap.
   */
  add(file: SnippetFile, text: string, priority: number): boolean {
    this.remove(file.key);
    // Identifiers per line once; a window's set is the union of its lines' (deduplicated by stamping).
    const lineWords = text.split('\n').map(identifiersOfLine);
    const pending = new Map<string, number>();
    const idOf = (word: string) => {
      let id = this.identifiers.get(word) ?? pending.get(word);
      if (id === undefined) {
        id = this.identifiers.size + pending.size;
        pending.set(word, id);
      }
      return id;
    };
    const lineIds = lineWords.map((words) => words.map(idOf));
    const stamp = new Map<number, number>();
    const windows: { start: number; end: number; ids: number[] }[] = [];
    for (let start = 0; start < lineIds.length; start += WINDOW_STRIDE) {
      const end = Math.min(lineIds.length, start + WINDOW_LINES);
      const ids: number[] = [];
      for (let l = start; l < end; l++) {
        for (const id of lineIds[l]) {
          if (stamp.get(id) !== start + 1) {
            stamp.set(id, start + 1);
            ids.push(id);
          }
        }
      }
      if (ids.length >= MIN_WINDOW_IDENTIFIERS) windows.push({ start, end, ids });
      if (end === lineIds.length) break;
    }
    const postings = windows.reduce((n, w) => n + w.ids.length, 0);
    // At most: every entry in a long list that doubles (twice its size), and the window arrays doubling.
    const windowGrowth = this.windowCount + windows.length > this.windowFile.length ? this.windowFile.length * BYTES_PER_WINDOW : 0;
    const cost = pending.size * (BYTES_PER_IDENTIFIER + 16 * BYTES_PER_SHORT_POSTING) + postings * 2 * BYTES_PER_SHORT_POSTING + windowGrowth + BYTES_PER_FILE;
    if (this.memoryBytes + cost > this.maxBytes) return false;

    for (const [word, id] of pending) {
      this.identifiers.set(word, id);
      this.postings[id] = new PostingList();
    }
    const indexed: IndexedFile = { ...file, slot: this.nextSlot++, family: languageFamily(file.languageId), priority, windows: [] };
    for (const w of windows) {
      const id = this.newWindow(indexed.slot, w.start, w.end, w.ids.length);
      indexed.windows.push(id);
      for (const identifier of w.ids) {
        const list = this.postings[identifier];
        this.postingBytes -= list.bytes;
        list.push(id);
        this.postingBytes += list.bytes;
      }
    }
    this.files.set(file.key, indexed);
    this.fileBySlot.set(indexed.slot, indexed);
    this.version++;
    return true;
  }

  remove(key: string): void {
    const file = this.files.get(key);
    if (!file) return;
    for (const w of file.windows) this.windowFile[w] = -1;
    this.deadWindows += file.windows.length;
    this.files.delete(key);
    this.fileBySlot.delete(file.slot);
    this.version++;
    if (this.deadWindows * 4 > this.windowCount) this.compact();
  }

  /** Forgets every file and identifier (retrieval was turned off). */
  clear(): void {
    this.files.clear();
    this.fileBySlot.clear();
    this.identifiers.clear();
    this.postings = [];
    this.windowCount = 0;
    this.deadWindows = 0;
    this.postingBytes = 0;
    this.windowFile = new Int32Array(1024);
    this.windowStart = new Uint32Array(1024);
    this.windowEnd = new Uint32Array(1024);
    this.windowSize = new Uint32Array(1024);
    this.shared = new Uint16Array(0);
    this.version++;
  }

  /**
   * The windows most similar to the query, best first: at most one per file, none from the query's
   * own document, none below MIN_SIMILARITY. Ties go to the more relevant file (lower priority number).
   */
  query(q: SnippetQuery): SnippetHit[] {
    const words = new Set(q.text.split('\n').flatMap(identifiersOfLine));
    if (words.size === 0 || q.maxHits <= 0) return [];
    // Shared identifiers per window, counted in a reused array; `touched` lists the windows to reset.
    if (this.shared.length < this.windowFile.length) this.shared = new Uint16Array(this.windowFile.length);
    const shared = this.shared;
    const touched: number[] = [];
    for (const w of words) {
      const id = this.identifiers.get(w);
      if (id === undefined) continue;
      const list = this.postings[id];
      for (let i = 0; i < list.length; i++) {
        const window = list.data[i];
        if (shared[window]++ === 0) touched.push(window);
      }
    }
    const family = languageFamily(q.languageId);
    const bestByFile = new Map<number, { window: number; score: number }>();
    for (const window of touched) {
      const count = shared[window];
      shared[window] = 0;
      const slot = this.windowFile[window];
      if (slot < 0) continue;
      const score = count / (words.size + this.windowSize[window] - count);
      if (score < MIN_SIMILARITY) continue;
      const best = bestByFile.get(slot);
      if (!best || score > best.score || (score === best.score && window < best.window)) bestByFile.set(slot, { window, score });
    }
    const ranked: { file: IndexedFile; window: number; score: number }[] = [];
    for (const [slot, best] of bestByFile) {
      const file = this.fileBySlot.get(slot)!;
      if (file.family === family && file.key !== q.excludeKey) ranked.push({ file, ...best });
    }
    ranked.sort((a, b) => b.score - a.score || a.file.priority - b.file.priority);
    return ranked.slice(0, q.maxHits).map(({ file, window, score }) => ({
      key: file.key,
      relativePath: file.relativePath,
      languageId: file.languageId,
      startLine: this.windowStart[window],
      endLine: this.windowEnd[window],
      score,
    }));
  }

  private newWindow(slot: number, start: number, end: number, size: number): number {
    if (this.windowCount === this.windowFile.length) {
      const grow = <T extends Int32Array | Uint32Array>(a: T, make: (n: number) => T) => {
        const next = make(a.length * 2);
        next.set(a);
        return next;
      };
      this.windowFile = grow(this.windowFile, (n) => new Int32Array(n));
      this.windowStart = grow(this.windowStart, (n) => new Uint32Array(n));
      this.windowEnd = grow(this.windowEnd, (n) => new Uint32Array(n));
      this.windowSize = grow(this.windowSize, (n) => new Uint32Array(n));
    }
    const id = this.windowCount++;
    this.windowFile[id] = slot;
    this.windowStart[id] = start;
    this.windowEnd[id] = end;
    this.windowSize[id] = size;
    return id;
  }

  /** Drops dead windows: renumbers the live ones and filters every list. */
  private compact(): void {
    const renumber = new Int32Array(this.windowCount).fill(-1);
    let live = 0;
    for (let w = 0; w < this.windowCount; w++) {
      if (this.windowFile[w] < 0) continue;
      renumber[w] = live;
      this.windowFile[live] = this.windowFile[w];
      this.windowStart[live] = this.windowStart[w];
      this.windowEnd[live] = this.windowEnd[w];
      this.windowSize[live] = this.windowSize[w];
      live++;
    }
    this.windowCount = live;
    this.deadWindows = 0;
    this.postingBytes = 0;
    for (const list of this.postings) {
      list.filter(renumber);
      this.postingBytes += list.bytes;
    }
    for (const file of this.files.values()) file.windows = file.windows.map((w) => renumber[w]);
  }
}
