import * as vscode from 'vscode';
import { normalizeSettings, RESTRICTED_SETTINGS, SECTION, SETTING_SCHEMAS, trustedValue, type Settings } from '../config/settings';

/**
 * The current, validated `localGpt.*` settings. Re-read when the configuration or workspace trust changes.
 * Invalid values are replaced (see normalizeSettings) and each replacement is logged as a warning.
 * In an untrusted workspace the restricted settings ignore workspace and folder values (only user
 * settings and defaults count), so a cloned repository cannot point the extension at a model or host.
 */
export class SettingsService implements vscode.Disposable {
  private settingsValue: Settings;
  private lastWarnings = '';
  private readonly emitter = new vscode.EventEmitter<Settings>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  /** Fires with the new settings after any `localGpt.*` change (or a trust change). */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.settingsValue = this.read();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.reload();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.reload()),
    );
  }

  get current(): Settings {
    return this.settingsValue;
  }

  private reload(): void {
    this.settingsValue = this.read();
    this.emitter.fire(this.settingsValue);
  }

  private read(): Settings {
    const config = vscode.workspace.getConfiguration(SECTION);
    const trusted = vscode.workspace.isTrusted;
    const raw: Record<string, unknown> = {};
    for (const key of Object.keys(SETTING_SCHEMAS)) {
      const inspected = !trusted && RESTRICTED_SETTINGS.has(key) ? config.inspect(key) : undefined;
      const { value, ignoredWorkspaceValue } = trustedValue(key, config.get(key), inspected, trusted);
      if (ignoredWorkspaceValue) this.log.info(`${SECTION}.${key}: workspace value ignored because the workspace is not trusted.`);
      raw[key] = value;
    }
    const { settings, warnings } = normalizeSettings(raw);
    for (const w of warnings) this.log.warn(`Settings: ${w}`);
    const joined = warnings.join('\n');
    if (warnings.length > 0 && joined !== this.lastWarnings) {
      // Not awaited: the promise settles only when the notification is closed.
      void vscode.window
        .showWarningMessage(`Local GPT: ${warnings[0]}${warnings.length > 1 ? ` (+${warnings.length - 1} more)` : ''}`, 'Show Log')
        .then((choice) => choice && this.log.show(true));
    }
    this.lastWarnings = joined;
    return settings;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
