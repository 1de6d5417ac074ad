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
import { noSuggestion } from '../completion/outcome';
import type { CompletionOutcome, CompletionPipeline } from '../completion/pipeline';
import { matchLineEndings } from '../completion/postprocess';
import { INTERNAL_COMMANDS } from './commands';
import { documentText } from './documentText';

export interface ProviderHooks {
  /** `localGpt.enabled`. */
  isEnabled(): boolean;
  /**
   * How each request ended: the suggestion handed to VS Code, or the reason there is none
   * (for the counts, the status bar latency and the log).
   */
  onOutcome(outcome: CompletionOutcome, document: vscode.TextDocument, position: vscode.Position): void;
  /** The engine failed (already a message for the user); the request's outcome follows, reason `error`. */
  onError(error: Error): void;
}

export class LocalGptCompletionProvider implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly pipeline: CompletionPipeline,
    private readonly hooks: ProviderHooks,
    /** When the user last typed or moved the cursor in a document (the debounce counts from there). */
    private readonly lastActivityAt: (document: vscode.TextDocument) => number | undefined = () => undefined,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const offset = document.offsetAt(position);
    const outcome = await this.outcome(document, offset, context, token);
    this.hooks.onOutcome(outcome, document, position);
    if (outcome.kind === 'none') return undefined;
    // The pipeline's text has `\n` breaks; a CRLF document gets CRLF, so accepting never mixes line endings.
    const text = matchLineEndings(outcome.text, document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n');
    const item = new vscode.InlineCompletionItem(text, new vscode.Range(position, position));
    const snippets = outcome.prompt?.snippets ?? [];
    const record = {
      uri: document.uri.toString(),
      offset,
      text,
      ...(snippets.length > 0 ? { snippets } : {}),
      ...(outcome.resultId === undefined ? {} : { resultId: outcome.resultId }),
    };
    item.command = { command: INTERNAL_COMMANDS.recordCompletion, title: 'Record completion for Explain Attention', arguments: [record] };
    return [item];
  }

  private async outcome(
    document: vscode.TextDocument,
    offset: number,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<CompletionOutcome> {
    if (!this.hooks.isEnabled()) return noSuggestion('disabled');
    // The suggest widget is open: its selection would be overwritten by ours.
    if (context.selectedCompletionInfo) return noSuggestion('suggestWidget');
    let outcome: CompletionOutcome;
    try {
      outcome = await this.pipeline.complete(
        {
          text: documentText(document),
          offset,
          languageId: document.languageId,
          relativePath: vscode.workspace.asRelativePath(document.uri, false),
          documentKey: document.uri.toString(),
          lastActivityAt: this.lastActivityAt(document),
        },
        token,
        context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke ? { debounceMs: 0 } : {},
      );
    } catch (e) {
      this.hooks.onError(e instanceof Error ? e : new Error(String(e)));
      return noSuggestion('error');
    }
    // VS Code no longer wants it (the cursor moved on while the pipeline finished).
    if (outcome.kind === 'suggestion' && token.isCancellationRequested) return noSuggestion('cancelled');
    return outcome;
  }
}
