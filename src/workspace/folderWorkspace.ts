/**
 * The workspace features over a folder on disk, in one call: what the headless CLI and the evaluation
 * use for `--workspace DIR` (the extension builds the same parts over VS Code in
 * src/extension/workspaceFeature.ts). The edited document comes from its buffer (`openBuffer`), never
 * from its file on disk, and is never its own snippet source.
 */
import { CacheSync, type CacheChannel } from './cacheSync';
import { FsWorkspaceSource } from './fsSource';
import { WorkspaceIndexer, type IndexingReport } from './indexer';
import { SnippetIndex } from './snippetIndex';
import { WorkspaceContext } from './workspaceContext';

export interface FolderWorkspace {
  /** Pass as `CompletionPipeline` option `workspace`; `localGpt.workspace.*` settings turn each feature on. */
  context: WorkspaceContext;
  source: FsWorkspaceSource;
  index: SnippetIndex;
  cache: CacheSync;
  /** Indexes the folder for retrieval (await before the first request that should see it). */
  indexAll(): Promise<IndexingReport>;
  /**
   * The document being completed, as its buffer holds it (key: its absolute path, as the request's
   * `documentKey`): read from there instead of disk, and followed by the copy model.
   */
  openBuffer(key: string, languageId: string, text: string): void;
}

/** `channel`: the model worker client (`WorkerClient` has `post` and `workerId`). */
export function folderWorkspace(dir: string, channel: CacheChannel): FolderWorkspace {
  const source = new FsWorkspaceSource(dir);
  const index = new SnippetIndex();
  const cache = new CacheSync(channel);
  const versions = new Map<string, number>();
  return {
    context: new WorkspaceContext(index, source, cache),
    source,
    index,
    cache,
    indexAll: () => new WorkspaceIndexer(index, source).indexAll(),
    openBuffer(key, languageId, text) {
      source.buffers.set(key, text);
      const version = (versions.get(key) ?? 0) + 1;
      versions.set(key, version);
      cache.open(key, languageId, version, text);
    },
  };
}
