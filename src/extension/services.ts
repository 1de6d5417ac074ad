import type * as vscode from 'vscode';
import type { EngineStatusBar } from './statusBar';
import type { SettingsService } from './settings';
import type { CompletionFeatureApi } from './completionFeature';

/**
 * What activate() hands to each feature (`registerCompletionFeature(context, deps)`,
 * `registerAttentionFeature(context, deps)`):
 * - `log`: the "Local GPT" LogOutputChannel (`log.info/warn/error/debug/trace`).
 * - `statusBar`: `setState('idle'|'loading'|'ready'|'generating'|'error', detail?)`, `setLatency(ms)`;
 *   the enabled/off part is driven by extension.ts from `localGpt.enabled`.
 * - `settings`: `settings.current` (validated Settings, see src/config/settings.ts) and
 *   `settings.onDidChange(listener)` (fires with the new Settings).
 * Features push their disposables into `context.subscriptions` and use `context.extensionUri`
 * for bundled files (`dist/worker.js`, `dist/wasm/`, `models/<embedded>/`).
 */
export interface Services {
  log: vscode.LogOutputChannel;
  statusBar: EngineStatusBar;
  settings: SettingsService;
}

/** What activate() returns (`vscode.extensions.getExtension('local-gpt.local-gpt').exports`), for tests. */
export interface LocalGptApi {
  /** Time spent in activate(), ms. */
  activationMs: number;
  services: Services;
  /** The model worker client and completion counts (for the integration tests). */
  completions: CompletionFeatureApi;
}
