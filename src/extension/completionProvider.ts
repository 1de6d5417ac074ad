/**
 * The inline completion provider: converts VS Code's document, position and cancellation token
 * into the plain completion pipeline's terms and its result into one ghost-text item. All the
 * deciding happens in src/completion/.
 */
import * as vscode from 'vscode';
import type { CompletionPipeline, CompletionResult } from '../completion/pipeline';

export interface ProviderHooks {
  /** `localGpt.enabled`. */
  isEnabled(): boolean;
  /** A completion was produced (for the status bar latency and the log). */
  onResult(result: CompletionResult): void;
  /** The engine failed (already a message for the user). */
  onError(error: Error): void;
}

export class LocalGptCompletionProvider implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly pipeline: CompletionPipeline,
    private readonly hooks: ProviderHooks,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (!this.hooks.isEnabled()) return undefined;
    // The suggest widget is open: its selection would be overwritten by ours.
    if (context.selectedCompletionInfo) return undefined;
    let result: CompletionResult | null;
    try {
      result = await this.pipeline.complete(
        {
          text: document.getText(),
          offset: document.offsetAt(position),
          languageId: document.languageId,
          relativePath: vscode.workspace.asRelativePath(document.uri, false),
          documentKey: document.uri.toString(),
        },
        token,
        context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke ? { debounceMs: 0 } : {},
      );
    } catch (e) {
      this.hooks.onError(e instanceof Error ? e : new Error(String(e)));
      return undefined;
    }
    if (!result || token.isCancellationRequested) return undefined;
    this.hooks.onResult(result);
    return [new vscode.InlineCompletionItem(result.text, new vscode.Range(position, position))];
  }
}
