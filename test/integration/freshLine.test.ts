// A fresh line inside a function body, through the registered provider and the real model: the item
// VS Code gets must be one Tab accepts (ghost text in the indentation that starts with a tab stop of
// whitespace makes Tab indent instead: `inlineSuggestionHasIndentationLessThanTabSize`).
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { LocalGptApi } from '../../src/extension/extension';
import { activateExtension } from './helpers';

const Global = vscode.ConfigurationTarget.Global;

/** The items the registered provider hands VS Code for an explicit trigger at `position`. */
async function invokedItems(api: LocalGptApi, doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.InlineCompletionItem[]> {
  const result = await api.completions.provider.provideInlineCompletionItems(
    doc,
    position,
    { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined },
    new vscode.CancellationTokenSource().token,
  );
  return Array.isArray(result) ? result : (result?.items ?? []);
}

describe('Fresh line: the inline completion item is shaped for Tab', function () {
  this.timeout(180_000);
  const config = () => vscode.workspace.getConfiguration('localGpt');

  before(() => config().update('temperature', 0, Global));
  after(() => config().update('temperature', undefined, Global));

  it('at an indentation-only line the item inserts at the cursor, starting with text', async () => {
    const api = await activateExtension();
    await api.completions.engine.ensureLoaded();
    // The sample's math.ts plus a new signature and the fresh line Enter made, in a document no editor
    // shows: VS Code asks an editor's provider by itself, and that request would supersede this one.
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const math = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'src', 'math.ts')));
    const content = `${math}\nexport function multiply(a: number, b: number): number {\n  \n}\n`;
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
    const position = new vscode.Position(doc.lineCount - 3, 2);
    assert.equal(doc.lineAt(position.line).text, '  ', 'the fresh line holds only its indentation');
    const items = await invokedItems(api, doc, position);
    assert.equal(items.length, 1, 'one item from the model');
    const [item] = items;
    const text = typeof item.insertText === 'string' ? item.insertText : item.insertText.value;
    console.log(`      item at the fresh line: ${JSON.stringify(text)}`);
    assert.match(text, /^\S/, 'the text starts with a non-whitespace character (no leading indentation, no leading line break)');
    assert.ok(item.range?.isEmpty && item.range.start.isEqual(position), `inserted at the cursor, replacing nothing: ${JSON.stringify(item.range)}`);
  });

  it('the line after a return at its indentation gets no item, counted as unreachable, without running the model', async () => {
    const api = await activateExtension();
    await api.completions.engine.ensureLoaded();
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'export function multiply(a: number, b: number): number {\n  return a * b;\n  \n}\n' });
    const position = new vscode.Position(2, 2);
    const unreachable = api.completions.noSuggestion.unreachable;
    const lastPrompt = api.completions.lastPrompt();
    assert.deepEqual(await invokedItems(api, doc, position), []);
    assert.equal(api.completions.noSuggestion.unreachable, unreachable + 1);
    assert.equal(api.completions.lastPrompt(), lastPrompt, 'no prompt was built for the model');
  });
});
