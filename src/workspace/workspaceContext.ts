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
export const QUERY_LINES = 12;
/** Snippets retrieved per request at most. */
export const MAX_SNIPPETS = 2;

export interface WorkspaceContextProvider {
  /**
   * Synchronous (the pipeline calls it before its first await, with the document as asked about):
   * where the snippets most similar to `queryText` are.
   */
  findSnippets(request: { documentKey: string; languageId: string; queryText: string }): SnippetHit[];
  /** The hits' lines (an open document's buffer, else the file); hits that cannot be read are left out. */
  readSnippets(hits: readonly SnippetHit[]): Promise<Snippet[]>;
  /** The copy model's target for a request at this document, after sending it and pending changes to the worker; null: not tracked. */
  cacheTarget(documentKey: string): CacheTarget | null;
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

  findSnippets(request: { documentKey: string; languageId: string; queryText: string }): SnippetHit[] {
    const key = `${this.index.version}\u0000${request.documentKey}\u0000${request.languageId}\u0000${request.queryText}`;
    if (this.last?.key !== key) {
      const hits = this.index.query({ text: request.queryText, languageId: request.languageId, excludeKey: request.documentKey, maxHits: MAX_SNIPPETS });
      this.last = { key, hits };
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

  cacheTarget(documentKey: string): CacheTarget | null {
    return this.cache?.target(documentKey) ?? null;
  }
}
