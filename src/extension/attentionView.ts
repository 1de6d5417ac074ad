/**
 * The Attention webview view (`localGpt.attentionView` in the Local GPT sidebar). Builds the page in
 * one function (strict CSP with a nonce, script from dist/webview, style from media, nothing remote),
 * passes host messages in and validated webview messages out. The panel's logic is in src/webview/
 * and src/attention/; this class only hosts it.
 */
import * as vscode from 'vscode';
import { parseWebviewMessage, type HostToWebview, type WebviewToHost } from '../attention/messages';
import { attentionHtml, makeNonce } from './attentionHtml';

export const ATTENTION_VIEW_ID = 'localGpt.attentionView';

/** State messages (not cursor moves) are replayed when the page (re)loads. */
type StateMessage = Exclude<HostToWebview, { type: 'cursor' }>;

export class AttentionViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | null = null;
  private ready = false;
  private lastState: StateMessage | null = null;
  private lastCursor: HostToWebview | null = null;
  private readonly emitter = new vscode.EventEmitter<WebviewToHost>();
  private readonly visibility = new vscode.EventEmitter<boolean>();
  private readonly disposables: vscode.Disposable[] = [this.emitter, this.visibility];
  /** Validated messages from the page. */
  readonly onMessage = this.emitter.event;
  readonly onDidChangeVisibility = this.visibility.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  get resolved(): boolean {
    return this.view !== null;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const webviewRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const mediaRoot = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [webviewRoot, mediaRoot] };
    view.webview.html = attentionHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'attentionPanel.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, 'attention.css')).toString(),
      nonce: makeNonce(),
    });
    const subscriptions = [
      view.webview.onDidReceiveMessage((data: unknown) => this.receive(data)),
      view.onDidChangeVisibility(() => {
        // A hidden view's page is unloaded; it says "ready" again when shown.
        if (!view.visible) this.ready = false;
        this.visibility.fire(view.visible);
      }),
    ];
    view.onDidDispose(() => {
      for (const s of subscriptions) s.dispose();
      if (this.view === view) {
        this.view = null;
        this.ready = false;
      }
    });
  }

  private receive(data: unknown): void {
    const parsed = parseWebviewMessage(data);
    if (!parsed.ok) {
      this.log.warn(`Attention panel: ignored a malformed message from the webview (${parsed.error})`);
      return;
    }
    if (parsed.message.type === 'ready') {
      this.ready = true;
      if (this.lastState) void this.view?.webview.postMessage(this.lastState);
      if (this.lastCursor) void this.view?.webview.postMessage(this.lastCursor);
    }
    this.emitter.fire(parsed.message);
  }

  /** Sends to the page now if it is listening; state messages are also kept for the next page load. */
  post(message: HostToWebview): void {
    if (message.type === 'cursor') this.lastCursor = message;
    else {
      this.lastState = message;
      this.lastCursor = null;
    }
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }

  /** Opens the view. Without `preserveFocus` the view takes the focus. */
  async reveal(preserveFocus: boolean): Promise<void> {
    if (this.view) this.view.show(preserveFocus);
    else await vscode.commands.executeCommand(`${ATTENTION_VIEW_ID}.focus`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
