// Inline completions in the real extension host: the registered provider, the bundled model worker
// (dist/worker.js) and a real model. Uses the embedded model when the repo has it, else a tiny random
// GPT-2 exported into the temp dir (its text is noise, but it is real text from a real ONNX run).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttentionState, ExplainResult } from '../../src/extension/attentionFeature';
import type { LocalGptApi } from '../../src/extension/extension';
import { tinyGpt2 } from '../unit/engine/fixtures/tinyModels';
import { acceptShownSuggestion, activateExtension, EXTENSION_ID, triggerAndSettle, waitFor } from './helpers';

const Global = vscode.ConfigurationTarget.Global;

/**
 * Triggers a completion at the cursor, waits until the request ends (however long the model takes), and
 * accepts the suggestion once it is shown (commit is a no-op before that). False when the model had no
 * completion here, or it was not shown to accept.
 */
async function completeAndAccept(api: LocalGptApi, doc: vscode.TextDocument, before: string): Promise<boolean> {
  const ended = await triggerAndSettle(api, 'the completion request');
  if (!ended.includes('model')) {
    console.log(`      the request at ${JSON.stringify(before.slice(-20))} ended: ${ended.join(', ')}`);
    return false;
  }
  return acceptShownSuggestion(doc, before);
}

describe('Inline completions (real worker and model)', function () {
  this.timeout(180_000);
  const config = () => vscode.workspace.getConfiguration('localGpt');

  before(async () => {
    await activateExtension();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const embedded = path.join(ext.extensionPath, 'models', String(ext.packageJSON.localGpt.embeddedModel));
    const model = fs.existsSync(path.join(embedded, 'onnx', 'model.onnx')) ? embedded : tinyGpt2().dir;
    console.log(`      model: ${model}`);
    // Always set (even to the embedded folder): resetting it afterwards restarts the engine, which
    // leaves the status bar "idle" for the suites that run after this one.
    await config().update('model', model, Global);
    await config().update('temperature', 0, Global);
  });

  after(async () => {
    for (const key of ['model', 'temperature', 'enabled', 'multiline']) await config().update(key, undefined, Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('suggests text in a TypeScript document; accepting inserts it; the status bar shows the latency', async () => {
    const api = await activateExtension();
    const { services } = api;
    // Spots where a code model continues: a real model may have nothing to say at one of them.
    const spots = [
      'function add(a: number, b: number) {\n  return a + b;\n}\n\nconst total = ',
      'function add(a: number, b: number) {\n  return a + b;\n}\n\n',
      'export function greet(name: string): string {\n  return ',
      'for (let i = 0; i < 10; i++) {\n  console.',
    ];
    let accepted = false;
    const started = Date.now();
    for (const [n, content] of spots.entries()) {
      const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
      const editor = await vscode.window.showTextDocument(doc);
      const end = doc.lineAt(doc.lineCount - 1).range.end;
      editor.selection = new vscode.Selection(end, end);
      // The first request also starts the worker and loads the model (logged when the status bar says so).
      const loaded = n === 0 ? waitFor(() => /Local GPT: (ready|generating)/.test(services.statusBar.current.text), 'the model to load', 120_000) : null;
      void loaded?.then(() => console.log(`      model loaded after ${Date.now() - started} ms (worker start + model load)`), () => undefined);
      const acceptedHere = await completeAndAccept(api, doc, content);
      await loaded;
      if (!acceptedHere) {
        console.log(`      no suggestion at ${JSON.stringify(content.slice(-20))}; next spot`);
        continue;
      }
      const inserted = doc.getText().slice(content.length);
      assert.ok(doc.getText().startsWith(content), 'inserted at the cursor');
      assert.ok(inserted.trim().length > 0, `inserted ${JSON.stringify(inserted)}`);
      console.log(`      accepted ${JSON.stringify(inserted.slice(0, 60))}`);
      accepted = true;
      break;
    }
    assert.ok(accepted, 'no suggestion at any spot');
    // After the accept VS Code may ask again at the new cursor: the status bar says "generating" until that run ends.
    await waitFor(() => /Local GPT: ready · \d+ ms$/.test(services.statusBar.current.text), 'the status bar latency', 120_000);
    console.log(`      status bar: ${services.statusBar.current.text}`);
  });

  it('a CRLF document: an accepted multi-line completion keeps it all-CRLF; Explain Attention then explains that completion', async () => {
    const api = await activateExtension();
    await config().update('multiline', 'always', Global);
    // Spots where a code model writes more than one line (a real model may stop after one at some).
    const spots = [
      'export function sum(values: number[]): number {\r\n  let total = 0;\r\n  ',
      'function add(a: number, b: number) {\r\n  return a + b;\r\n}\r\n\r\n',
      'for (let i = 0; i < 10; i++) {\r\n  ',
      'class Point {\r\n  constructor(public x: number, public y: number) {}\r\n\r\n  ',
      'export function greet(name: string): string {\r\n  ',
    ];
    let inserted: string | null = null;
    let doc: vscode.TextDocument | undefined;
    for (const spot of spots) {
      const content = `// crlf ${Date.now()}\r\n${spot}`;
      doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
      assert.equal(doc.eol, vscode.EndOfLine.CRLF);
      const editor = await vscode.window.showTextDocument(doc);
      const end = doc.lineAt(doc.lineCount - 1).range.end;
      editor.selection = new vscode.Selection(end, end);
      if (!(await completeAndAccept(api, doc, content))) {
        console.log(`      no suggestion at ${JSON.stringify(spot.slice(-20))}; next spot`);
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        continue;
      }
      const text = doc.getText();
      assert.ok(text.startsWith(content), 'inserted at the cursor');
      assert.equal(text.replace(/\r\n/g, '').search(/[\r\n]/), -1, `only CRLF line breaks after accepting: ${JSON.stringify(text)}`);
      if (/\r\n/.test(text.slice(content.length))) {
        inserted = text.slice(content.length);
        break;
      }
      console.log(`      single-line completion ${JSON.stringify(text.slice(content.length).slice(0, 40))}; next spot`);
      await new Promise((r) => setTimeout(r, 500)); // the accept's command runs after the edit
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
    assert.ok(inserted !== null && doc, 'a multi-line completion was accepted at one of the spots');
    console.log(`      accepted ${JSON.stringify(inserted.slice(0, 80))}`);
    assert.equal(doc.eol, vscode.EndOfLine.CRLF);

    // Accepting recorded the completion (the item's command): Explain Attention at the cursor, right after
    // it, explains the completion without any other step, and the panel's window holds its text.
    const result = await vscode.commands.executeCommand<ExplainResult>('localGpt.explainAttention');
    assert.ok(result.ok, result.message);
    assert.match(result.explanation!.headline, /^To write the completion after/);
    const state = await vscode.commands.executeCommand<AttentionState>('localGpt.attention.inspect');
    assert.equal(state.window?.uri, doc.uri.toString());
    // The window holds the model's own generated tokens (`\n` breaks, no `\r` token; the exact ids it wrote,
    // which may go on past what post-processing kept), and the accepted text is what they spell.
    // CRLF folded: when the worker has answered a newer request since the accept (VS Code asks again at
    // the new cursor), the window is recomputed from the document's CRLF text.
    // Line starts compared without their indentation: at an indentation-only line the suggestion is moved to
    // the cursor's column and its later lines with it (src/completion/postprocess), so the accepted lines can
    // be indented less than the model wrote them.
    const generated = (state.window?.completionText ?? '').replace(/\r\n/g, '\n');
    assert.ok(!generated.includes('\r'), `no lone \\r in the generated tokens: ${JSON.stringify(generated)}`);
    const unindented = (text: string) => text.replace(/^[ \t]+/gm, '');
    assert.ok(unindented(generated).includes(unindented(inserted.replace(/\r\n/g, '\n'))), `${JSON.stringify(generated)} spells ${JSON.stringify(inserted)}`);
    await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
    await new Promise((r) => setTimeout(r, 500));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await config().update('multiline', undefined, Global);
  });

  it('gives no suggestion while localGpt.enabled is off', async () => {
    const { services, completions } = await activateExtension();
    await config().update('enabled', false, Global);
    await waitFor(() => !services.settings.current.enabled, 'the setting to apply');
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'const value = ' });
    const editor = await vscode.window.showTextDocument(doc);
    const end = doc.lineAt(0).range.end;
    editor.selection = new vscode.Selection(end, end);
    const { counts, noSuggestion } = completions;
    const before = { ...counts, ...noSuggestion };
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    // The provider was asked and declined (the reason it gives no suggestion), rather than "nothing came in time".
    await waitFor(() => noSuggestion.disabled > before.disabled, 'the provider to decline the request because completions are off', 10_000);
    await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    assert.equal(doc.getText(), 'const value = ');
    assert.deepEqual({ model: counts.model, cache: counts.cache, error: noSuggestion.error }, { model: before.model, cache: before.cache, error: before.error });
    assert.match(services.statusBar.current.text, /Local GPT: off$/);
  });
});
