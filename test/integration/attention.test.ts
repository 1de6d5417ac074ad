// Explain Attention in the real extension host: the command on a TypeScript file (highlights, ranked
// tokens, explanation, the panel resolves), clearing on edit and by command, a 5,000-line file with a
// small window (the host sends the worker a few KB around the cursor, not the file), the last completion,
// and a model without attention outputs.
// The model is a tiny random GPT-2 exported by the project's exporter (cached in the temp dir).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostToWorker } from '../../src/engine/protocol';
import type { AttentionState, ExplainResult } from '../../src/extension/attentionFeature';
import { tinyGpt2, variantOf } from '../unit/engine/fixtures/tinyModels';
import { activateExtension, openWorkspaceFile, waitFor } from './helpers';

const explainAttention = (arg?: unknown) => vscode.commands.executeCommand<ExplainResult>('localGpt.explainAttention', arg);
const inspect = () => vscode.commands.executeCommand<AttentionState>('localGpt.attention.inspect');

describe('Explain Attention', function () {
  this.timeout(300_000); // the first call starts the worker and loads the model; slow on a loaded machine
  const config = () => vscode.workspace.getConfiguration('localGpt');

  before(async () => {
    await activateExtension();
    await config().update('model', tinyGpt2().dir, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await config().update('model', undefined, vscode.ConfigurationTarget.Global);
    await config().update('attention.maxTokens', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  /** Puts the cursor right after the first occurrence of `marker` in the editor. */
  function cursorAfter(editor: vscode.TextEditor, marker: string): vscode.Position {
    const at = editor.document.getText().indexOf(marker);
    assert.ok(at >= 0, `${marker} is in ${editor.document.fileName}`);
    const pos = editor.document.positionAt(at + marker.length);
    editor.selection = new vscode.Selection(pos, pos);
    return pos;
  }

  it('on a TypeScript file: ranks earlier tokens, highlights them, explains, and opens the panel', async () => {
    const editor = await openWorkspaceFile('src/greet.ts');
    cursorAfter(editor, '${person.');
    const result = await explainAttention();
    assert.ok(result.ok, result.message);
    const doc = editor.document;
    assert.equal(result.query!.text, '.', 'the token left of the cursor');
    assert.equal(result.query!.line, 9);
    assert.ok(result.ranked!.length > 0 && result.ranked!.length <= 8);
    for (const [i, r] of result.ranked!.entries()) {
      assert.equal(doc.getText(new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end))), r.text, 'ranked token text is the document text at its range');
      assert.ok(r.end <= result.query!.start, `ranked token ${JSON.stringify(r.text)} comes before the query`);
      assert.ok(r.weight > 0 && r.weight <= 1);
      if (i > 0) assert.ok(r.weight <= result.ranked![i - 1].weight, 'ranked highest first');
    }
    assert.ok(result.highlighted! > 0, 'editor highlights were set');
    assert.match(result.explanation!.headline, /^To predict what comes after “\.” \(line 9\), the model looked most at/);
    assert.match(result.explanation!.caveat, /not a full explanation/);
    const state = await inspect();
    assert.equal(state.highlighted, result.highlighted);
    await waitFor(async () => (await inspect()).panel.resolved, 'the Attention view resolves', 30_000);
    assert.equal(state.window?.queryText, '.');
  });

  it('highlights are cleared by an edit of the document and by the clear command', async () => {
    const editor = await openWorkspaceFile('src/greet.ts');
    cursorAfter(editor, 'console.log(');
    assert.ok((await explainAttention()).highlighted! > 0);
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '// edited\n'));
    await waitFor(async () => (await inspect()).highlighted === 0, 'highlights cleared after an edit', 30_000);
    await vscode.commands.executeCommand('undo');
    cursorAfter(editor, 'console.log(');
    assert.ok((await explainAttention()).highlighted! > 0);
    await vscode.commands.executeCommand('localGpt.clearAttentionHighlights');
    assert.equal((await inspect()).highlighted, 0);
  });

  it('a 5,000-line file: the window is capped by localGpt.attention.maxTokens and the host sends the worker only a slice', async () => {
    const { completions } = await activateExtension();
    await config().update('attention.maxTokens', 64, vscode.ConfigurationTarget.Global);
    const lines = Array.from({ length: 5000 }, (_, i) => `export const value${i} = compute(items[${i}], ${i % 7});`);
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: lines.join('\n') });
    const editor = await vscode.window.showTextDocument(doc);
    const pos = new vscode.Position(2500, 20);
    editor.selection = new vscode.Selection(pos, pos);
    // The host must not stall on a big file: it sends the worker a slice around the cursor, and the worker
    // tokenizes and runs the model. Asserted on what the host sent (the attention panel shares the
    // completions' worker client), not on measured time: the event loop's longest gap is reported only,
    // since on a loaded machine it measures the machine.
    const engine = completions.engine;
    const sent: HostToWorker[] = [];
    const request = engine.request.bind(engine);
    engine.request = (build, deadlineMs, token) =>
      request(
        (id) => {
          const message = build(id);
          sent.push(message);
          return message;
        },
        deadlineMs,
        token,
      );
    let maxGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    const started = performance.now();
    let result: ExplainResult;
    try {
      result = await explainAttention();
    } finally {
      clearInterval(timer);
      delete (engine as { request?: unknown }).request; // the class's own method again
    }
    const ms = performance.now() - started;
    console.log(`      5,000 lines, maxTokens 64: ${ms.toFixed(0)} ms, longest event-loop gap ${maxGap.toFixed(0)} ms`);
    assert.ok(result.ok, result.message);
    assert.ok(result.tokens! <= 64 && result.tokens! >= 32, `${result.tokens} tokens`);
    assert.equal(result.query!.line, 2501);
    const attention = sent.filter((m) => m.type === 'attention');
    assert.ok(attention.length > 0, `the host sent an attention request: ${JSON.stringify(sent.map((m) => m.type))}`);
    for (const m of attention) {
      assert.ok(m.type === 'attention' && m.text.length <= 4096, `a slice of the ${doc.getText().length}-character file, not the file: ${m.type === 'attention' ? m.text.length : 0} characters`);
    }
    await config().update('attention.maxTokens', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('the last completion: ghost text recorded by the completion feature is explained token by token', async () => {
    const editor = await openWorkspaceFile('src/greet.ts');
    const pos = cursorAfter(editor, 'for (const p of people) {\n  console.log(');
    const offset = editor.document.offsetAt(pos);
    await vscode.commands.executeCommand('localGpt.attention.recordCompletion', { uri: editor.document.uri.toString(), offset, text: 'greet(p));' });
    const result = await explainAttention();
    assert.ok(result.ok, result.message);
    assert.match(result.explanation!.headline, /^To write the completion after “\(” \(line 18\)/);
    assert.equal((await inspect()).window?.queryText, '(');
  });

  it('a model without attention outputs: the command says so and how to export one', async () => {
    // Graphs whose softmax outputs carry other names (as other exporters write them), and no onnx/model_attentions.onnx.
    const dir = variantOf(tinyGpt2().dir, 'tiny-gpt2-integration-no-attentions', (d) => {
      for (const f of ['model.onnx', 'model_quantized.onnx']) {
        const file = path.join(d, 'onnx', f);
        fs.writeFileSync(file, fs.readFileSync(file).toString('latin1').replaceAll('decoder_attentions.', 'softmax_outputs_xy.'), 'latin1');
      }
    });
    await config().update('model', dir, vscode.ConfigurationTarget.Global);
    try {
      const editor = await openWorkspaceFile('src/greet.ts');
      cursorAfter(editor, 'return ');
      const result = await explainAttention();
      assert.equal(result.ok, false);
      assert.match(result.message!, /does not expose attention: .*\.onnx has no decoder_attentions\.\* tensors and .*model_attentions\.onnx is missing/);
    } finally {
      await config().update('model', tinyGpt2().dir, vscode.ConfigurationTarget.Global);
    }
  });
});
