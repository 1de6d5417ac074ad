import type * as vscode from 'vscode';
import type { EngineStatusBar } from './statusBar';
import type { SettingsService } from './settings';

/**
 * What activate() hands to each feature (`registerCompletionFeature(context, deps)`,
 * `registerAttentionFeature(context, deps)`):
 * - `log`: the "Local GPT" LogOutputChannel (`log.info/warn/error/debug/trace`).
 * - `statusBar`: `setState(state, detail?)` (`EngineState` in ./statusBar.ts), `setLatency(ms)`;
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
