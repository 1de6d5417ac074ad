import * as vscode from 'vscode';
import { createLog } from './log';
import { EngineStatusBar } from './statusBar';
import { SettingsService } from './settings';
import { registerCompletionFeature, type CompletionFeatureApi } from './completionFeature';
import { registerAttentionFeature } from './attentionFeature';
import { CONTRIBUTED_COMMANDS } from './commands';
import type { Services } from './services';

/** What activate() returns (`vscode.extensions.getExtension('local-gpt.local-gpt').exports`), for tests. */
export interface LocalGptApi {
  /** Time spent in activate(), ms. */
  activationMs: number;
  services: Services;
  /** The model worker client and completion counts (for the integration tests). */
  completions: CompletionFeatureApi;
}

/** Registers everything and returns; the model loads later, in the worker, on first use. */
export function activate(context: vscode.ExtensionContext): LocalGptApi {
  const started = performance.now();
  const log = createLog();
  const statusBar = new EngineStatusBar(CONTRIBUTED_COMMANDS.toggleInlineCompletions);
  const settings = new SettingsService(log);
  context.subscriptions.push(log, statusBar, settings);
  const services: Services = { log, statusBar, settings };

  statusBar.setEnabled(settings.current.enabled);
  context.subscriptions.push(
    settings.onDidChange((s) => statusBar.setEnabled(s.enabled)),
    vscode.commands.registerCommand(CONTRIBUTED_COMMANDS.toggleInlineCompletions, () => toggleInlineCompletions(services)),
    vscode.commands.registerCommand(CONTRIBUTED_COMMANDS.showLog, () => log.show(true)),
  );
  const completions = registerCompletionFeature(context, services);
  registerAttentionFeature(context, services);

  const activationMs = performance.now() - started;
  log.info(
    `Activated Local GPT ${String(context.extension.packageJSON.version)} in ${activationMs.toFixed(1)} ms ` +
      `(VS Code ${vscode.version}, ${vscode.env.appHost}, Node ${process.versions.node}); inline completions ${settings.current.enabled ? 'on' : 'off'}.`,
  );
  return { activationMs, services, completions };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

/** Flips `localGpt.enabled` in the user settings (and in the workspace when a workspace value would hide the flip). */
async function toggleInlineCompletions({ settings, log }: Services): Promise<void> {
  const enabled = !settings.current.enabled;
  const config = vscode.workspace.getConfiguration('localGpt');
  await config.update('enabled', enabled, vscode.ConfigurationTarget.Global);
  const inspected = config.inspect<boolean>('enabled');
  if (inspected?.workspaceValue !== undefined && inspected.workspaceValue !== enabled) {
    await config.update('enabled', enabled, vscode.ConfigurationTarget.Workspace);
  }
  log.info(`Inline completions turned ${enabled ? 'on' : 'off'}.`);
  vscode.window.setStatusBarMessage(`Local GPT: inline completions ${enabled ? 'on' : 'off'}`, 3000);
}
