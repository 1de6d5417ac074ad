// PLACEHOLDER (extension foundation): the completion engineer replaces this body with the inline
// completion provider + worker client. Keep the signature: registerCompletionFeature(context, deps).
import * as vscode from 'vscode';
import type { Services } from './services';

export function registerCompletionFeature(context: vscode.ExtensionContext, deps: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('localGpt.triggerCompletion', async () => {
      if (!deps.settings.current.enabled) {
        deps.log.info('Trigger Completion: inline completions are off (Local GPT: Toggle Inline Completions).');
        return;
      }
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    }),
  );
}
