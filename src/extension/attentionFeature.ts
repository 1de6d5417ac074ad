// PLACEHOLDER (extension foundation): the attention engineer replaces this body with the real
// Explain Attention command and panel. Keep the signature: registerAttentionFeature(context, deps).
import * as vscode from 'vscode';
import type { Services } from './services';

export const ATTENTION_VIEW_ID = 'localGpt.attentionView';

export function registerAttentionFeature(context: vscode.ExtensionContext, deps: Services): void {
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(ATTENTION_VIEW_ID, new PlaceholderAttentionView()),
    vscode.commands.registerCommand('localGpt.explainAttention', () => {
      deps.log.warn('Explain Attention needs the model engine.');
      // Not awaited: showInformationMessage settles only when the notification is closed.
      void vscode.window.showInformationMessage('Local GPT: Explain Attention needs the model engine.');
    }),
  );
}

class PlaceholderAttentionView implements vscode.WebviewViewProvider {
  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = { enableScripts: false, localResourceRoots: [] };
    const nonce = Array.from({ length: 32 }, () => Math.floor(Math.random() * 36).toString(36)).join('');
    view.webview.html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">
  body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  #status { color: var(--vscode-descriptionForeground); margin-top: 0.5em; }
</style>
<title>Attention</title>
</head>
<body>
<p id="status">No attention yet — run <b>Local GPT: Explain Attention</b>.</p>
</body>
</html>`;
  }
}
