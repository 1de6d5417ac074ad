// Workspace features in the real editor: the extension indexes the test workspace in the background,
// and a completion at a fresh line of another document gets the most similar snippet of
// src/math.ts in its prompt. Asserted on the prompt the pipeline handed the model (the extension's
// API), so it does not depend on what the model writes, nor on its speed (every wait is for a condition).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { tinyGpt2 } from '../unit/engine/fixtures/tinyModels';
import type { LocalGptApi } from '../../src/extension/extension';
import { activateExtension, EXTENSION_ID, triggerAndSettle, waitFor } from './helpers';

const Global = vscode.ConfigurationTarget.Global;

/**
 * Triggers completions at the cursor until one reaches the model with a prompt that ends with `text`.
 * Each trigger is followed until its request ends, however long the model takes, so a retry does not
 * cancel a request on its way; a trigger VS Code dropped (on a busy machine) is retried after 60 s.
 */
async function promptEndingWith(api: LocalGptApi, text: string, what: string, timeoutMs: number): Promise<void> {
  const reached = () => api.completions.lastPrompt()?.text.endsWith(text) === true;
  await waitFor(
    async () => {
      if (reached()) return true;
      await triggerAndSettle(api, what, 60_000).catch(() => undefined);
      return reached();
    },
    what,
    timeoutMs,
  );
}

describe('Workspace features (retrieval and the copy model)', function () {
  this.timeout(400_000);
  const config = () => vscode.workspace.getConfiguration('localGpt');

  before(async () => {
    await activateExtension();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const embedded = path.join(ext.extensionPath, 'models', String(ext.packageJSON.localGpt.embeddedModel));
    await config().update('model', fs.existsSync(path.join(embedded, 'onnx', 'model.onnx')) ? embedded : tinyGpt2().dir, Global);
    await config().update('temperature', 0, Global);
    // Both features are off by default (EVAL.md): this test is about what they do when on.
    await config().update('workspace.retrieval', true, Global);
    await config().update('workspace.cache', true, Global);
  });

  after(async () => {
    for (const key of ['model', 'temperature', 'workspace.retrieval', 'workspace.cache']) await config().update(key, undefined, Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('at a fresh line, the prompt holds the helper defined in another workspace file; turning retrieval off removes it', async () => {
    const api = await activateExtension();
    const { completions } = api;
    const folder = vscode.workspace.workspaceFolders![0];
    const math = vscode.Uri.joinPath(folder.uri, 'src', 'math.ts').toString();
    const started = Date.now();
    const state = () =>
      `${Date.now() - started} ms: ${completions.workspace.index.fileCount} files indexed, engine ${completions.engine.state}, ` +
      `last prompt ${JSON.stringify(completions.lastPrompt()?.text.slice(-80) ?? null)}`;
    await waitFor(() => completions.workspace.index.has(math), `src/math.ts to be indexed for retrieval (${state()})`, 120_000);
    console.log(`      indexed: ${state()}`);

    const content = [
      "import { clamp } from './math';",
      '',
      'export function clampAll(values: number[], min: number, max: number): number[] {',
      '  return values.map((value) => clamp(value, min, max));',
      '}',
      '',
      'export function limit(value: number, min: number, max: number): number {',
      '  ',
    ].join('\n');
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
    const editor = await vscode.window.showTextDocument(doc);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    editor.selection = new vscode.Selection(end, end);
    assert.ok(completions.workspace.cache.has(doc.uri.toString()), 'the open document is followed for the copy model');

    // Trigger until a request for this spot reaches the model (on a busy machine a trigger can be dropped).
    await promptEndingWith(api, content, 'a model request for the fresh line', 180_000);
    console.log(`      prompted: ${state()}`);
    const prompt = completions.lastPrompt()!;
    assert.deepEqual(prompt.snippets?.map((s) => s.replace(/:\d+-\d+$/, '')), ['src/math.ts']);
    assert.ok(prompt.text.includes('// Compare this snippet from src/math.ts:\n'), prompt.text);
    // Lines of src/math.ts as comments (how many fit depends on the pipeline's measured characters per token).
    const mathLines = fs.readFileSync(path.join(folder.uri.fsPath, 'src', 'math.ts'), 'utf8').split('\n').filter((l) => /\w{3}/.test(l));
    assert.ok(mathLines.some((l) => prompt.text.includes(`// ${l}\n`)), prompt.text);
    assert.ok(prompt.text.indexOf('Compare this snippet') < prompt.text.indexOf("import { clamp } from './math';"), 'the snippet comes before the prefix');

    await config().update('workspace.retrieval', false, Global);
    await waitFor(() => completions.workspace.index.fileCount === 0, 'the index to be dropped');
    await editor.edit((b) => b.insert(doc.lineAt(doc.lineCount - 1).range.end, 'r'));
    await promptEndingWith(api, `${content}r`, 'a model request after typing', 120_000);
    assert.equal(completions.lastPrompt()!.snippets, undefined);
    assert.ok(!completions.lastPrompt()!.text.includes('Compare this snippet'));

    await config().update('workspace.cache', false, Global);
    await waitFor(() => completions.workspace.cache.size === 0, 'the copy model to forget its documents');
  });
});
