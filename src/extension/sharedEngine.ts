/**
 * The extension's one model worker, shared by the features that run the model (completions, the
 * attention panel): started from the settings, restarted when they change, reporting to the status
 * bar and the log.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Settings } from '../config/settings';
import { engineConfigFor } from '../engine/engineConfig';
import { resolveModelSetting } from '../engine/modelSource';
import { WorkerClient, type ClientEvent, type ClientState, type EngineConfig } from '../engine/workerClient';
import { bundledWorker } from '../engine/workerFactory';
import type { EngineState } from './statusBar';
import type { Services } from './services';

/** The worker start options and model for the current settings, or why there are none. */
function engineConfig(
  settings: Settings,
  paths: { extensionRoot: string; embeddedModel: string; cacheDir: string; workspaceRoot?: string | null },
): { ok: true; config: EngineConfig } | { ok: false; error: string } {
  const resolved = resolveModelSetting(settings.model, paths.extensionRoot, paths.embeddedModel, { workspaceRoot: paths.workspaceRoot });
  if (!resolved.ok) return resolved;
  return { ok: true, config: engineConfigFor(settings, { source: resolved.source, wasmPaths: path.join(paths.extensionRoot, 'dist', 'wasm'), cacheDir: paths.cacheDir }) };
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
