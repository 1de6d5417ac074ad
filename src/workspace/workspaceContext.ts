/**
 * What the completion pipeline asks of the workspace (src/completion/pipeline.ts), behind one
 * interface so the extension (VS Code documents and files) and the headless CLI / evaluation (a
 * folder on disk, `--workspace DIR`) run the same code:
 *   - retrieval: the snippets of other files most similar to the lines before the cursor;
 *   - the copy model: the worker's documents brought up to date, and the request's target.
 * Whether each is used is decided by the settings (`localGpt.workspace.*`), in the pipeline.
 */
import type { CacheTarget } from '../engine/protocol';
import type { CacheSync } from './cacheSync';
import type { WorkspaceSource } from './indexer';
import type { Snippet } from './snippetBlock';
import type { SnippetHit, SnippetIndex } from './snippetIndex';

/** Lines before the cursor's line that make the retrieval query. */
const QUERY_LINES = 12;
/** Snippets retrieved per request at most. */
const MAX_SNIPPETS = 2;
/** Documents whose last snippets are remembered. */
const SHOWN_DOCUMENTS = 32;

export interface WorkspaceContextProvider {
  /**
   * Synchronous (the pipeline calls it before its first await, with the document as asked about):
   * where the snippets most similar to `queryText` are.
   */
  findSnippets(request: { documentKey: string; languageId: string; queryText: string }): SnippetHit[];
  /** The hits' lines (an open document's buffer, else the file); hits that cannot be read are left out. */
  readSnippets(hits: readonly SnippetHit[]): Promise<Snippet[]>;
  /**
   * The copy model's target for a request at `cursorOffset` of this document, after sending it and
   * pending changes to the worker; null: not tracked.
   */
  cacheTarget(documentKey: string, cursorOffset: number): CacheTarget | null;
}

/**
 * The retrieval query for a prefix window: its last QUERY_LINES lines before the cursor's line. The
 * cursor's own line is left out so the query (and so the snippets at the start of the prompt) stay
 * the same while the user types along a line, and the worker keeps reusing the prompt's KV cache.
 */
export function retrievalQuery(prefix: string): string {
  const lines = prefix.split('\n');
  lines.pop();
  return lines.slice(-QUERY_LINES).join('\n');
}

export class WorkspaceContext implements WorkspaceContextProvider {
  constructor(
    readonly index: SnippetIndex,
    private readonly source: WorkspaceSource,
    private readonly cache: CacheSync | null,
  ) {}

  /** The last search: typing along a line asks the same query again (see `retrievalQuery`). */
  private last: { key: string; hits: SnippetHit[] } | null = null;
  /** Per document, the snippets its last prompt held (a few documents). */
  private readonly shown = new Map<string, SnippetHit[]>();

  /**
   * The best MAX_SNIPPETS windows, except that the snippets this document's last prompt held are kept
   * while they are all still among the best 2 × MAX_SNIPPETS: a new line then changes the prompt only
   * after the prefix, and the worker keeps reusing the KV cache of the snippets before it.
   */
  findSnippets(request: { documentKey: string; languageId: string; queryText: string }): SnippetHit[] {
    const key = `${this.index.version}\u0000${request.documentKey}\u0000${request.languageId}\u0000${request.queryText}`;
    if (this.last?.key !== key) {
      const candidates = this.index.query({ text: request.queryText, languageId: request.languageId, excludeKey: request.documentKey, maxHits: 2 * MAX_SNIPPETS });
      const previous = this.shown.get(request.documentKey);
      const same = (a: SnippetHit, b: SnippetHit) => a.key === b.key && a.startLine === b.startLine && a.endLine === b.endLine;
      const keep = previous && previous.length > 0 && previous.every((p) => candidates.some((c) => same(c, p)));
      const hits = keep ? previous.map((p) => candidates.find((c) => same(c, p))!) : candidates.slice(0, MAX_SNIPPETS);
      this.last = { key, hits };
      this.shown.delete(request.documentKey);
      this.shown.set(request.documentKey, hits);
      if (this.shown.size > SHOWN_DOCUMENTS) this.shown.delete(this.shown.keys().next().value as string);
    }
    return this.last.hits;
  }

  async readSnippets(hits: readonly SnippetHit[]): Promise<Snippet[]> {
    const out: Snippet[] = [];
    for (const hit of hits) {
      const text = await this.source.read(hit.key);
      if (text === null) continue;
      const lines = text.split('\n').slice(hit.startLine, hit.endLine);
      if (lines.length === 0) continue;
      out.push({ relativePath: hit.relativePath, startLine: hit.startLine, endLine: hit.startLine + lines.length, text: lines.join('\n') });
    }
    return out;
  }

  cacheTarget(documentKey: string, cursorOffset: number): CacheTarget | null {
    return this.cache?.target(documentKey, cursorOffset) ?? null;
  }
}
