/**
 * The workspace features' editor glue (the logic is plain TypeScript in src/workspace/):
 * - the copy model: open documents (and files edited in this session, after their editor closes) are
 *   followed through `onDidChangeTextDocument`; typing only queues the edit, which reaches the model
 *   worker on an idle timer or right before the next completion request (src/workspace/cacheSync.ts);
 * - retrieval: the workspace is indexed in the background once the editor has settled, in slices that
 *   yield to the event loop, and an edited document is indexed again once its edits pause.
 * `localGpt.workspace.cache` and `localGpt.workspace.retrieval` turn each on or off at any time.
 */
import * as vscode from 'vscode';
import type { Settings } from '../config/settings';
import type { TextEdit } from '../engine/protocol';
import { CacheSync, type CacheChannel } from '../workspace/cacheSync';
import { WorkspaceIndexer, type IndexingReport } from '../workspace/indexer';
import { languageOfPath } from '../workspace/languages';
import { SnippetIndex } from '../workspace/snippetIndex';
import { WorkspaceContext } from '../workspace/workspaceContext';
import type { Services } from './services';
import { isTrackedDocument, VscodeWorkspaceSource } from './workspaceSource';

/** After activation, before indexing starts: the editor restores its windows first, ms. */
const INDEX_START_DELAY_MS = 1000;
/** Quiet time after an edit before it is sent to the worker, ms. */
const FLUSH_DELAY_MS = 400;
/** Quiet time after an edit before the document is indexed again for retrieval, ms. */
const REINDEX_DELAY_MS = 1500;
/** Indexing waits while the last edit is this recent: the user is typing, ms. */
const TYPING_PAUSE_MS = 500;
/** Files listed for indexing at most. */
const MAX_LISTED_FILES = 20_000;
/** Recently edited files remembered (retrieval lists them right after the open documents). */
const RECENT_FILES = 50;

export interface WorkspaceFeatureApi {
  readonly context: WorkspaceContext;
  readonly index: SnippetIndex;
  readonly cache: CacheSync;
  /** The current indexing run (null: retrieval is off or indexing has not started). */
  indexing(): Promise<IndexingReport> | null;
}

/** Text edits of one change event, in an order that applies one after another (VS Code's offsets are all of the text before the event). */
function editsOf(event: vscode.TextDocumentChangeEvent): TextEdit[] {
  return [...event.contentChanges].sort((a, b) => b.rangeOffset - a.rangeOffset).map((c) => ({ offset: c.rangeOffset, deleteCount: c.rangeLength, text: c.text }));
}

export function registerWorkspaceFeature(context: vscode.ExtensionContext, deps: Services, channel: CacheChannel): WorkspaceFeatureApi {
  const recent: string[] = [];
  const source = new VscodeWorkspaceSource(() => recent, MAX_LISTED_FILES);
  const index = new SnippetIndex();
  const cache = new CacheSync(channel);
  const workspaceContext = new WorkspaceContext(index, source, cache);
  let indexer: WorkspaceIndexer | null = null;
  let indexing: Promise<IndexingReport> | null = null;
  let startTimer: NodeJS.Timeout | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  const reindexTimers = new Map<string, NodeJS.Timeout>();
  let current: Settings['workspace'] = { cache: false, retrieval: false };
  let lastEdit = -Infinity;

  const follow = (doc: vscode.TextDocument) => {
    if (current.cache && isTrackedDocument(doc)) cache.open(doc.uri.toString(), doc.languageId, doc.version, doc.getText());
  };
  const startIndexing = () => {
    startTimer = null;
    indexer = new WorkspaceIndexer(index, source, { isBusy: () => performance.now() - lastEdit < TYPING_PAUSE_MS });
    const started = performance.now();
    indexing = indexer.indexAll();
    indexing.then(
      (r) => deps.log.info(`Workspace indexed for retrieval in ${Math.round(performance.now() - started)} ms: ${r.indexed} files (${r.skipped} skipped${r.full ? ', memory cap reached' : ''}), ${(index.memoryBytes / 2 ** 20).toFixed(1)} MiB.`),
      (e: unknown) => deps.log.warn(`Workspace indexing failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  const apply = (settings: Settings) => {
    const next = settings.workspace;
    if (next.cache && !current.cache) {
      current = { ...current, cache: true };
      vscode.workspace.textDocuments.forEach(follow);
    } else if (!next.cache && current.cache) cache.clear();
    if (next.retrieval && !current.retrieval) startTimer = setTimeout(startIndexing, INDEX_START_DELAY_MS);
    else if (!next.retrieval && current.retrieval) {
      if (startTimer) clearTimeout(startTimer);
      indexer?.stop();
      indexer = null;
      indexing = null;
      index.clear();
    }
    current = { ...next };
  };
  apply(deps.settings.current);

  const onEdit = (event: vscode.TextDocumentChangeEvent) => {
    const doc = event.document;
    if (!isTrackedDocument(doc) || event.contentChanges.length === 0) return;
    const key = doc.uri.toString();
    lastEdit = performance.now();
    const at = recent.indexOf(key);
    if (at !== 0) {
      if (at > 0) recent.splice(at, 1);
      recent.unshift(key);
      recent.length = Math.min(recent.length, RECENT_FILES);
    }
    if (current.cache) {
      if (cache.has(key)) cache.change(key, doc.version, editsOf(event));
      else follow(doc);
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = setTimeout(() => cache.flush(), FLUSH_DELAY_MS);
    }
    if (current.retrieval && doc.uri.scheme === 'file') {
      clearTimeout(reindexTimers.get(key));
      reindexTimers.set(
        key,
        setTimeout(() => {
          reindexTimers.delete(key);
          const languageId = languageOfPath(doc.uri.path) ?? doc.languageId;
          void indexer?.refresh({ key, relativePath: vscode.workspace.asRelativePath(doc.uri, false), languageId }, 0);
        }, REINDEX_DELAY_MS),
      );
    }
  };

  context.subscriptions.push(
    deps.settings.onDidChange(apply),
    vscode.workspace.onDidOpenTextDocument(follow),
    vscode.workspace.onDidChangeTextDocument(onEdit),
    vscode.workspace.onDidCloseTextDocument((doc) => cache.close(doc.uri.toString())),
    {
      dispose: () => {
        indexer?.stop();
        for (const t of [startTimer, flushTimer, ...reindexTimers.values()]) if (t) clearTimeout(t);
      },
    },
  );
  return { context: workspaceContext, index, cache, indexing: () => indexing };
}
