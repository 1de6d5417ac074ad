/**
 * The inline completion provider: converts VS Code's document, position and cancellation token
 * into the plain completion pipeline's terms and its result into one ghost-text item. All the
 * deciding happens in src/completion/.
 *
 * The document is handed over as a `DocumentText` that reads ranges on demand, so a 20 MB file costs a
 * window around the cursor per request rather than a copy of the whole text (`getText()`). The pipeline
 * gathers its context before its first `await`, while the document is still the one asked about.
 */
import * as vscode from 'vscode';
import type { CompletionPipeline, CompletionResult } from '../completion/pipeline';
import { matchLineEndings } from '../completion/postprocess';
import { INTERNAL_COMMANDS } from './commands';
import { documentText } from './documentText';

export interface ProviderHooks {
  /** `localGpt.enabled`. */
  isEnabled(): boolean;
  /** Asked while completions are off (`localGpt.enabled`), and declined. */
  onDeclined?(): void;
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
    if (!this.hooks.isEnabled()) {
      this.hooks.onDeclined?.();
      return undefined;
    }
    // The suggest widget is open: its selection would be overwritten by ours.
    if (context.selectedCompletionInfo) return undefined;
    let result: CompletionResult | null;
    const offset = document.offsetAt(position);
    try {
      result = await this.pipeline.complete(
        {
          text: documentText(document),
          offset,
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
    // The pipeline's text has `\n` breaks; a CRLF document gets CRLF, so accepting never mixes line endings.
    const text = matchLineEndings(result.text, document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n');
    const item = new vscode.InlineCompletionItem(text, new vscode.Range(position, position));
    const snippets = result.prompt?.snippets ?? [];
    const record = {
      uri: document.uri.toString(),
      offset,
      text,
      ...(snippets.length > 0 ? { snippets } : {}),
      ...(result.resultId === undefined ? {} : { resultId: result.resultId }),
    };
    item.command = { command: INTERNAL_COMMANDS.recordCompletion, title: 'Record completion for Explain Attention', arguments: [record] };
    return [item];
  }
}
