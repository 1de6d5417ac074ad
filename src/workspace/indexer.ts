/**
 * Fills a SnippetIndex from a WorkspaceSource without blocking the thread it runs on: files are read
 * asynchronously and indexed in slices of at most `sliceMs` of work, with a yield to the event loop
 * (setImmediate) after each slice, so keystrokes and completions are served in between, and a pause
 * while the user types (`isBusy`), so indexing uses idle time. Files come
 * in the source's priority order (open editors, recently edited, then the rest), and indexing stops
 * at the index's memory cap or `maxFiles`.
 */
import type { SnippetFile, SnippetIndex } from './snippetIndex';

/** Where workspace files come from: VS Code (src/extension/workspaceSource.ts) or a folder on disk (fsSource.ts). */
export interface WorkspaceSource {
  /** Candidate files, most relevant first. */
  listFiles(): Promise<SnippetFile[]>;
  /** The file's current text (an open document's buffer, else the file on disk); null if unreadable. */
  read(key: string): Promise<string | null>;
}

/** A larger file is generated or minified: not worth its memory. */
export const MAX_INDEXED_FILE_CHARS = 100_000;

interface IndexerOptions {
  /** Work per slice before yielding, ms. */
  sliceMs: number;
  maxFiles: number;
  now: () => number;
  /** Waits for the next turn of the event loop (tests may count turns). */
  yieldToEventLoop: () => Promise<void>;
  /** The user is typing: indexing waits (BUSY_WAIT_MS at a time) until this is false. */
  isBusy: () => boolean;
}

/** How long indexing waits before it asks `isBusy` again, ms. */
const BUSY_WAIT_MS = 250;

const DEFAULT_INDEXER_OPTIONS: IndexerOptions = {
  sliceMs: 4,
  maxFiles: 20_000,
  now: () => performance.now(),
  yieldToEventLoop: () => new Promise((resolve) => setImmediate(resolve)),
  isBusy: () => false,
};

export interface IndexingReport {
  indexed: number;
  skipped: number;
  /** The memory cap or maxFiles ended indexing before the list did. */
  full: boolean;
  /** Yields to the event loop. */
  slices: number;
}

export class WorkspaceIndexer {
  private stopped = false;
  private readonly options: IndexerOptions;

  constructor(
    private readonly index: SnippetIndex,
    private readonly source: WorkspaceSource,
    options: Partial<IndexerOptions> = {},
  ) {
    this.options = { ...DEFAULT_INDEXER_OPTIONS, ...options };
  }

  /** Stops a running `indexAll` at its next slice. */
  stop(): void {
    this.stopped = true;
  }

  async indexAll(): Promise<IndexingReport> {
    const { now, sliceMs, yieldToEventLoop, maxFiles } = this.options;
    const report: IndexingReport = { indexed: 0, skipped: 0, full: false, slices: 0 };
    const files = await this.source.listFiles();
    let sliceStart = now();
    for (let i = 0; i < files.length && !this.stopped; i++) {
      if (report.indexed >= maxFiles) {
        report.full = true;
        break;
      }
      const text = await this.source.read(files[i].key);
      if (this.stopped) break;
      if (text === null || text.length > MAX_INDEXED_FILE_CHARS || text.includes('\u0000')) report.skipped++;
      else if (this.index.add(files[i], text, i)) report.indexed++;
      else {
        report.full = true;
        break;
      }
      if (now() - sliceStart >= sliceMs) {
        report.slices++;
        await yieldToEventLoop();
        while (this.options.isBusy() && !this.stopped) await new Promise((resolve) => setTimeout(resolve, BUSY_WAIT_MS));
        sliceStart = now();
      }
    }
    return report;
  }

  /** Indexes one file again (an open document was edited). */
  async refresh(file: SnippetFile, priority: number): Promise<void> {
    const text = await this.source.read(file.key);
    if (text === null || text.length > MAX_INDEXED_FILE_CHARS) this.index.remove(file.key);
    else this.index.add(file, text, priority);
  }
}
