// The debounce counts from the user's last keystroke or cursor move (src/extension/lastActivity.ts), not
// from VS Code's request, which comes after VS Code's own wait: real edits and cursor moves in a real
// editor, and the provider handing that time to the pipeline.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { CompletionPipeline, type CompletionEngine, type EngineReply } from '../../src/completion/pipeline';
import { defaultSettings } from '../../src/config/settings';
import { LocalGptCompletionProvider } from '../../src/extension/completionProvider';
import { LastActivity } from '../../src/extension/lastActivity';
import { waitFor } from './helpers';

const HOUR_MS = 3_600_000;

async function untitledEditor(content: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
  return vscode.window.showTextDocument(doc);
}

async function closeActiveEditor(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

describe('last activity: the debounce counts from the keystroke', () => {
  let activity: LastActivity;
  beforeEach(() => {
    activity = new LastActivity();
  });
  afterEach(() => activity.dispose());

  it('an edit and a cursor move each set the time; a document never touched has none', async () => {
    const editor = await untitledEditor('const a = 1;\n');
    try {
      assert.equal(activity.at(editor.document), undefined);
      const beforeEdit = performance.now();
      await editor.edit((b) => b.insert(new vscode.Position(1, 0), 'const b'));
      const edited = activity.at(editor.document);
      assert.ok(edited !== undefined && edited >= beforeEdit, `edit time ${edited} after ${beforeEdit}`);
      const beforeMove = performance.now();
      // As an arrow key does (a selection set through the API is the extension's own move, not the user's).
      await vscode.commands.executeCommand('cursorRight');
      // The selection event reaches the extension host asynchronously (late on a loaded machine: a hang guard only).
      await waitFor(() => (activity.at(editor.document) ?? 0) >= beforeMove, 'a cursor move to count as activity');
    } finally {
      await closeActiveEditor();
    }
  });

  it('the provider hands the time to the pipeline: after an hour-long pause an hour of debounce is already over', async () => {
    const editor = await untitledEditor('export function add(a: number, b: number): number {\n  return ');
    try {
      await editor.edit((b) => b.insert(new vscode.Position(1, 9), 'a'));
      const engine: CompletionEngine = {
        capabilities: { fim: false },
        contextLength: 1024,
        complete: (): Promise<EngineReply | null> =>
          Promise.resolve({ text: ' + b;', stopReason: 'stop', timings: { promptTokens: 20, reusedTokens: 0, prefillMs: 1, decodeMs: 1, tokensPerSecond: 100 } }),
      };
      // The pipeline's clock runs an hour ahead of the tracker's: the user paused for an hour. Without the
      // activity time the provider would wait the full hour (and the test time out).
      const pipeline = new CompletionPipeline(engine, () => ({ ...defaultSettings(), debounceMs: HOUR_MS }), { now: () => performance.now() + HOUR_MS });
      const provider = new LocalGptCompletionProvider(pipeline, { isEnabled: () => true, onOutcome: () => undefined, onError: () => undefined }, (d) => activity.at(d));
      const source = new vscode.CancellationTokenSource();
      const items = await provider.provideInlineCompletionItems(
        editor.document,
        new vscode.Position(1, 10),
        { triggerKind: vscode.InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined },
        source.token,
      );
      source.dispose();
      assert.equal(items?.[0]?.insertText, ' + b;');
    } finally {
      await closeActiveEditor();
    }
  });

  it('a closed document is forgotten', async () => {
    const editor = await untitledEditor('x');
    const doc = editor.document;
    await editor.edit((b) => b.insert(new vscode.Position(0, 1), 'y'));
    assert.notEqual(activity.at(doc), undefined);
    await closeActiveEditor();
    // An untitled document is disposed when its editor closes without saving (the event comes asynchronously).
    await waitFor(() => activity.at(doc) === undefined, 'the closed document to be forgotten');
  });
});
