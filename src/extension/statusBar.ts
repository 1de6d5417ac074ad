import * as vscode from 'vscode';

/**
 * Engine state as shown in the status bar.
 * - `idle`: enabled, model not loaded yet (it loads on the first completion)
 * - `loading` / `ready` / `generating` / `error`: set by the engine client
 * - `restarting`: the model worker stopped (crash, hang, out of memory) and comes back after a
 *   backoff; the tooltip says why and when
 * - `off` is not an engine state: it is shown whenever `localGpt.enabled` is false.
 */
export type EngineState = 'idle' | 'loading' | 'ready' | 'generating' | 'restarting' | 'error';

const STATUS_BAR_ID = 'localGpt.status';

const ICONS: Record<EngineState | 'off', string> = {
  off: '$(circle-slash)',
  idle: '$(sparkle)',
  loading: '$(loading~spin)',
  ready: '$(sparkle)',
  generating: '$(loading~spin)',
  restarting: '$(sync~spin)',
  error: '$(error)',
};

/**
 * Status bar text, exactly: `<icon> Local GPT: <state>` plus ` · <n> ms` (last completion latency) when
 * the state is `ready`. The icon is a codicon, so the text rendered in the workbench DOM is
 * `Local GPT: <state>[ · <n> ms]`, e.g. "Local GPT: off", "Local GPT: ready · 42 ms".
 * Tests find the item by the prefix "Local GPT:" (see test/e2e/lib/workbench.ts).
 */
function statusText(enabled: boolean, state: EngineState, latencyMs?: number): string {
  if (!enabled) return `${ICONS.off} Local GPT: off`;
  const latency = state === 'ready' && latencyMs !== undefined ? ` · ${Math.round(latencyMs)} ms` : '';
  return `${ICONS[state]} Local GPT: ${state}${latency}`;
}

/** The status bar item: engine state + last latency; a click runs the toggle command. */
export class EngineStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private enabled = true;
  private state: EngineState = 'idle';
  private detail: string | undefined;
  private latencyMs: number | undefined;

  constructor(toggleCommand: string) {
    this.item = vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Local GPT';
    this.item.command = toggleCommand;
    this.render();
    this.item.show();
  }

  /** `detail`: the tooltip's explanation (error message, restart reason, model). */
  get current(): { enabled: boolean; state: EngineState; latencyMs: number | undefined; text: string; detail: string | undefined } {
    return { enabled: this.enabled, state: this.state, latencyMs: this.latencyMs, text: this.item.text, detail: this.detail };
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.render();
  }

  /** `detail` goes into the tooltip (e.g. the error message, or the model name when ready). */
  setState(state: EngineState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    this.render();
  }

  /** Latency of the last completion, ms. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
    this.render();
  }

  private render(): void {
    this.item.text = statusText(this.enabled, this.state, this.latencyMs);
    const what = this.enabled ? `engine ${this.state}` : 'inline completions off';
    const tooltip = new vscode.MarkdownString(
      `**Local GPT** — ${what}${this.detail ? `\n\n${this.detail}` : ''}\n\nClick to turn inline completions ${this.enabled ? 'off' : 'on'}.`,
    );
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Local GPT, ${what}` };
    this.item.backgroundColor =
      this.enabled && this.state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
