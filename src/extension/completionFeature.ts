/**
 * Inline completions: wires the model worker (shared with other features), the completion pipeline
 * and the provider to the settings, the status bar and the log.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Settings } from '../config/settings';
import { CompletionPipeline, type CompletionResult } from '../completion/pipeline';
import type { Prompt } from '../completion/prompt';
import { resolveModelSetting } from '../engine/modelSource';
import type { EngineState } from './statusBar';
import { LocalGptCompletionProvider } from './completionProvider';
import type { Services } from './services';
import { bundledWorker, WorkerClient, type ClientEvent, type ClientState, type EngineConfig } from './workerClient';
import { registerWorkspaceFeature, type WorkspaceFeatureApi } from './workspaceFeature';

/** The worker start options and model for the current settings, or why there are none. */
export function engineConfig(
  settings: Settings,
  paths: { extensionRoot: string; embeddedModel: string; cacheDir: string; workspaceRoot?: string | null },
): { ok: true; config: EngineConfig } | { ok: false; error: string } {
  const resolved = resolveModelSetting(settings.model, paths.extensionRoot, paths.embeddedModel, { workspaceRoot: paths.workspaceRoot });
  if (!resolved.ok) return resolved;
  return {
    ok: true,
    config: {
      start: { backend: settings.backend, threads: settings.threads, wasmPaths: path.join(paths.extensionRoot, 'dist', 'wasm') },
      load: {
        source: resolved.source,
        quantized: settings.quantized,
        cacheDir: paths.cacheDir,
        allowDownloads: settings.allowDownloads,
        remoteHost: settings.remoteHost,
      },
    },
  };
}

const STATUS: Record<ClientState, EngineState | null> = {
  idle: 'idle',
  starting: 'loading',
  loading: 'loading',
  restarting: 'restarting',
  ready: 'ready',
  generating: 'generating',
  error: 'error',
  failed: 'error',
  disposed: null,
};

interface SharedEngine {
  client: WorkerClient;
  /** Set when the settings cannot describe a model (e.g. a relative `localGpt.model`). */
  configError: string | null;
}

const engines = new WeakMap<vscode.ExtensionContext, SharedEngine>();

/**
 * The extension's one model worker, created on first call and shared by the features that run the
 * model (completions; the attention panel can send its own request types through `client.request`
 * and reuse the loaded model). It follows the settings and reports to the status bar and the log.
 */
export function sharedEngine(context: vscode.ExtensionContext, deps: Services): SharedEngine {
  const existing = engines.get(context);
  if (existing) return existing;
  const paths = {
    extensionRoot: context.extensionUri.fsPath,
    embeddedModel: String((context.extension.packageJSON as { localGpt?: { embeddedModel?: string } }).localGpt?.embeddedModel ?? ''),
    cacheDir: context.globalStorageUri.fsPath,
    /** Relative `localGpt.model` folders are found from here (read at each settings change). */
    get workspaceRoot(): string | null {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      return folder?.scheme === 'file' ? folder.fsPath : null;
    },
  };
  const initial = engineConfig(deps.settings.current, paths);
  let lastProgress = '';
  const onEvent = (event: ClientEvent) => {
    switch (event.type) {
      case 'state': {
        const state = STATUS[event.state];
        if (state) deps.statusBar.setState(state, event.detail);
        break;
      }
      case 'log':
        deps.log[event.level](event.message);
        break;
      case 'progress': {
        const percent = event.totalBytes ? ` ${Math.floor((100 * event.loadedBytes) / event.totalBytes)}%` : '';
        const line = `${event.phase === 'download' ? 'Downloading' : 'Loading'} ${event.file}${percent}`;
        if (line !== lastProgress) {
          lastProgress = line;
          deps.statusBar.setState('loading', line);
          if (event.phase === 'download' && event.totalBytes !== null && event.loadedBytes === event.totalBytes) deps.log.info(`${line}: done`);
        }
        break;
      }
    }
  };
  const client = new WorkerClient(
    initial.ok ? initial.config : null,
    { createWorker: bundledWorker(path.join(paths.extensionRoot, 'dist', 'worker.js')), onEvent },
  );
  const shared: SharedEngine = { client, configError: initial.ok ? null : initial.error };
  if (!initial.ok) {
    deps.log.error(initial.error);
    deps.statusBar.setState('error', initial.error);
  }
  context.subscriptions.push(
    deps.settings.onDidChange((settings) => {
      const next = engineConfig(settings, paths);
      if (!next.ok) {
        if (shared.configError !== next.error) deps.log.error(next.error);
        shared.configError = next.error;
        deps.statusBar.setState('error', next.error);
        return;
      }
      if (shared.configError !== null) deps.statusBar.setState('idle');
      shared.configError = null;
      client.configure(next.config);
    }),
    { dispose: () => void client.dispose() },
  );
  engines.set(context, shared);
  return shared;
}

/** What the completion feature hands to tests (through the extension's API). */
export interface CompletionFeatureApi {
  /** The shared model worker client (state, stats, events). */
  engine: WorkerClient;
  /** Completions shown since activation, by where they came from; engine failures; requests declined while off. */
  counts: { model: number; cache: number; errors: number; declined: number };
  /** The registered provider, so a test can look at the items it hands VS Code. */
  provider: vscode.InlineCompletionItemProvider;
  /** Retrieval and the copy model (src/extension/workspaceFeature.ts). */
  workspace: WorkspaceFeatureApi;
  /** The prompt of the last model request (what the model saw, retrieved snippets included). */
  lastPrompt(): Prompt | null;
}

export function registerCompletionFeature(context: vscode.ExtensionContext, deps: Services): CompletionFeatureApi {
  const engine = sharedEngine(context, deps);
  const workspace = registerWorkspaceFeature(context, deps, engine.client);
  const pipeline = new CompletionPipeline(engine.client, () => deps.settings.current, { workspace: workspace.context });
  const counts = { model: 0, cache: 0, errors: 0, declined: 0 };
  let lastError = '';
  const provider = new LocalGptCompletionProvider(pipeline, {
    isEnabled: () => deps.settings.current.enabled && engine.configError === null,
    onDeclined: () => counts.declined++,
    onResult: (result: CompletionResult) => {
      counts[result.source]++;
      lastError = '';
      // The status bar shows the model's latency; a cache hit (typing through) says nothing about it.
      if (result.source === 'model') deps.statusBar.setLatency(result.latencyMs);
      if (result.source === 'model' && result.timings) {
        const t = result.timings;
        deps.log.debug(
          `completion in ${Math.round(result.latencyMs)} ms (${result.multiline ? 'multi' : 'single'}-line, ${result.prompt?.format}): ` +
            `${t.promptTokens} prompt tokens (${t.reusedTokens} reused), prefill ${t.prefillMs.toFixed(1)} ms, ` +
            `decode ${t.decodeMs.toFixed(1)} ms at ${t.tokensPerSecond.toFixed(0)} tokens/s, stop: ${result.stopReason}` +
            (result.prompt?.snippets ? `; snippets: ${result.prompt.snippets.join(', ')}` : ''),
        );
      }
    },
    onError: (error) => {
      counts.errors++;
      // The client already logged load failures and crashes; say each other failure once.
      if (error.message !== lastError) deps.log.warn(`completion failed: ${error.message}`);
      lastError = error.message;
    },
  });
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
    deps.settings.onDidChange(() => pipeline.reset()),
    vscode.commands.registerCommand('localGpt.triggerCompletion', async () => {
      if (!deps.settings.current.enabled) {
        deps.log.info('Trigger Completion: inline completions are off (Local GPT: Toggle Inline Completions).');
        return;
      }
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    }),
  );
  return { engine: engine.client, counts, provider, workspace, lastPrompt: () => pipeline.lastPrompt };
}
