/**
 * Snippet retrieval over workspace files: each file is cut into overlapping windows of lines, each
 * window kept as the set of its identifiers (interned to numbers); a query (the lines before the
 * cursor) is compared with every window of the same language family by Jaccard similarity, and the
 * best windows of other files are returned. Texts are not kept: a hit names its file and lines, and
 * the caller reads them (an open document, or the file on disk).
 *
 * Memory is bounded: an index holds at most `maxBytes` by its own accounting (identifier strings, one
 * id array per file, window bounds); a file that would go over is refused and the indexer stops
 * adding (files come in priority order, so what is left out is the least relevant).
 */
import { identifierSet } from './identifiers';
import { languageFamily } from './languages';

/** Lines per window: about a function's worth. */
export const WINDOW_LINES = 16;
/** Lines between window starts (windows overlap by half). */
export const WINDOW_STRIDE = 8;
/** A window with fewer identifiers is mostly punctuation or blank. */
const MIN_WINDOW_IDENTIFIERS = 3;
/** Below this similarity a snippet is noise rather than context. */
export const MIN_SIMILARITY = 0.1;
/** Accounted memory of the index, bytes (the unit test holds a 5,000-file index to it). */
export const SNIPPET_INDEX_CAP_BYTES = 48 * 1024 * 1024;

/** Accounting constants, bytes: an interned identifier (its string plus the Map entry), per file, per window. */
const BYTES_PER_IDENTIFIER = 72;
const BYTES_PER_FILE = 640;
const BYTES_PER_WINDOW = 8;

export interface SnippetFile {
  /** Identity of the file (a URI string or an absolute path), as the source reads it. */
  key: string;
  /** Path shown in the prompt, relative to the workspace, with `/` separators. */
  relativePath: string;
  languageId: string;
}

interface IndexedFile extends SnippetFile {
  family: string;
  /** Lower number = more relevant (open editors, recently edited, then the rest). */
  priority: number;
  /** Identifier ids of all windows, window after window. */
  ids: Uint32Array;
  /** Per window: [startLine, endLine (exclusive), idsStart, idsEnd]. */
  windows: Uint32Array;
}

export interface SnippetHit extends SnippetFile {
  /** 0-based, end exclusive. */
  startLine: number;
  endLine: number;
  /** Jaccard similarity of identifier sets, 0..1. */
  score: number;
}

export interface SnippetQuery {
  /** The code to find similar code for (the lines before the cursor). */
  text: string;
  languageId: string;
  /** The document being edited: never its own snippet source. */
  excludeKey: string;
  maxHits: number;
}

export class SnippetIndex {
  private readonly identifiers = new Map<string, number>();
  private readonly files = new Map<string, IndexedFile>();
  private bytes = 0;
  /** Changes with every add or remove (callers key their cached query results on it). */
  version = 0;

  constructor(readonly maxBytes = SNIPPET_INDEX_CAP_BYTES) {}

  get fileCount(): number {
    return this.files.size;
  }

  get memoryBytes(): number {
    return this.bytes;
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
    const lines = text.split('\n');
    const windowIds: number[][] = [];
    const bounds: number[] = [];
    let newIdentifiers = 0;
    const pending = new Map<string, number>();
    const idOf = (word: string) => {
      const known = this.identifiers.get(word) ?? pending.get(word);
      if (known !== undefined) return known;
      const id = this.identifiers.size + pending.size;
      pending.set(word, id);
      newIdentifiers++;
      return id;
    };
    for (let start = 0; start < lines.length; start += WINDOW_STRIDE) {
      const end = Math.min(lines.length, start + WINDOW_LINES);
      const words = identifierSet(lines.slice(start, end).join('\n'));
      if (words.size >= MIN_WINDOW_IDENTIFIERS) {
        windowIds.push([...words].map(idOf));
        bounds.push(start, end);
      }
      if (end === lines.length) break;
    }
    const idCount = windowIds.reduce((n, w) => n + w.length, 0);
    const cost = BYTES_PER_FILE + idCount * 4 + windowIds.length * 4 * 4 + newIdentifiers * BYTES_PER_IDENTIFIER + windowIds.length * BYTES_PER_WINDOW;
    if (this.bytes + cost > this.maxBytes) return false;
    for (const [word, id] of pending) this.identifiers.set(word, id);
    const ids = new Uint32Array(idCount);
    const windows = new Uint32Array(windowIds.length * 4);
    let at = 0;
    windowIds.forEach((w, i) => {
      ids.set(w, at);
      windows.set([bounds[2 * i], bounds[2 * i + 1], at, at + w.length], 4 * i);
      at += w.length;
    });
    this.version++;
    this.files.set(file.key, { ...file, family: languageFamily(file.languageId), priority, ids, windows });
    // Identifiers stay interned after their file goes (they are shared); their bytes stay counted.
    this.bytes += cost;
    return true;
  }

  remove(key: string): void {
    const file = this.files.get(key);
    if (!file) return;
    this.files.delete(key);
    this.version++;
    this.bytes -= BYTES_PER_FILE + file.ids.length * 4 + file.windows.length * 4 + (file.windows.length / 4) * BYTES_PER_WINDOW;
  }

  /**
   * The windows most similar to the query, best first: at most one per file, none from the query's
   * own document, none below MIN_SIMILARITY. Ties go to the more relevant file (lower priority number).
   */
  query(q: SnippetQuery): SnippetHit[] {
    const words = identifierSet(q.text);
    if (words.size === 0 || q.maxHits <= 0) return [];
    // A bitmap over identifier ids: the scan below reads it once per indexed identifier.
    const wanted = new Uint8Array(this.identifiers.size);
    let known = 0;
    for (const w of words) {
      const id = this.identifiers.get(w);
      if (id !== undefined) {
        wanted[id] = 1;
        known++;
      }
    }
    if (known === 0) return [];
    const family = languageFamily(q.languageId);
    const best: { file: IndexedFile; window: number; score: number }[] = [];
    for (const file of this.files.values()) {
      if (file.family !== family || file.key === q.excludeKey) continue;
      const ids = file.ids;
      let fileBest = -1;
      let fileScore = 0;
      for (let w = 0; w < file.windows.length; w += 4) {
        const from = file.windows[w + 2];
        const to = file.windows[w + 3];
        let shared = 0;
        for (let i = from; i < to; i++) shared += wanted[ids[i]];
        const score = shared / (words.size + (to - from) - shared);
        if (score > fileScore) {
          fileScore = score;
          fileBest = w;
        }
      }
      if (fileBest >= 0 && fileScore >= MIN_SIMILARITY) best.push({ file, window: fileBest, score: fileScore });
    }
    best.sort((a, b) => b.score - a.score || a.file.priority - b.file.priority);
    return best.slice(0, q.maxHits).map(({ file, window, score }) => ({
      key: file.key,
      relativePath: file.relativePath,
      languageId: file.languageId,
      startLine: file.windows[window],
      endLine: file.windows[window + 1],
      score,
    }));
  }
}
