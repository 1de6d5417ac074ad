/**
 * When the user last typed or moved the cursor in each open document (`performance.now()`, the completion
 * pipeline's clock), so that the debounce counts from the keystroke rather than from VS Code's request,
 * which comes only after VS Code's own wait.
 */
import * as vscode from 'vscode';

export class LastActivity implements vscode.Disposable {
  private readonly times = new Map<string, number>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(now: () => number = () => performance.now()) {
    const touch = (document: vscode.TextDocument) => this.times.set(document.uri.toString(), now());
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) touch(e.document);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => touch(e.textEditor.document)),
      // Closed documents are forgotten: the map holds at most the open ones.
      vscode.workspace.onDidCloseTextDocument((document) => this.times.delete(document.uri.toString())),
    ];
  }

  /** The last edit or cursor move in the document; undefined when none was seen since activation. */
  at(document: vscode.TextDocument): number | undefined {
    return this.times.get(document.uri.toString());
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.times.clear();
  }
}
