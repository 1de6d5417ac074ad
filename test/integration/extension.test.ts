import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { ExplainResult } from '../../src/extension/attentionFeature';
import { activateExtension, EXTENSION_ID, openWorkspaceFile, waitFor } from './helpers';

/** What `log.warn` receives while `fn` runs (a LogOutputChannel cannot be read back). */
async function warningsDuring(log: vscode.LogOutputChannel, fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const warn = log.warn;
  log.warn = (message: string, ...args: unknown[]) => {
    seen.push(message);
    warn.call(log, message, ...args);
  };
  try {
    await fn();
  } finally {
    log.warn = warn;
  }
  return seen;
}

describe('Local GPT extension', () => {
  it('activates and reports its activation time', async () => {
    const api = await activateExtension();
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    assert.ok(Number.isFinite(api.activationMs), `activationMs = ${api.activationMs}`);
    // Printed, not asserted: timings on a shared machine vary too much for a bound.
    console.log(`      activation time: ${api.activationMs.toFixed(1)} ms (VS Code ${vscode.version}, ${vscode.env.appHost})`);
  });

  it('registers every command of the manifest', async () => {
    await activateExtension();
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: Array<{ command: string }> };
    };
    const declared = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(declared, [
      'localGpt.clearAttentionHighlights', 'localGpt.explainAttention', 'localGpt.showLog', 'localGpt.toggleInlineCompletions', 'localGpt.triggerCompletion',
    ]);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of declared) assert.ok(registered.has(c), `command ${c} is not registered`);
  });

  it('shows its status bar item and flips it with the toggle command', async () => {
    const { services } = await activateExtension();
    const config = vscode.workspace.getConfiguration('localGpt');
    assert.equal(services.statusBar.current.enabled, true);
    // The engine's state depends on what ran before in this window (idle, or loading/ready after completions).
    const engineState = /^\$\([a-z~-]+\) Local GPT: (idle|loading|ready( · \d+ ms)?|generating|restarting)$/;
    assert.match(services.statusBar.current.text, engineState);
    try {
      await vscode.commands.executeCommand('localGpt.toggleInlineCompletions');
      assert.equal(config.inspect('enabled')?.globalValue, false, 'toggle writes localGpt.enabled=false to the user settings');
      await waitFor(() => services.statusBar.current.text === '$(circle-slash) Local GPT: off', 'status bar "Local GPT: off"');
      assert.equal(services.settings.current.enabled, false);
      await vscode.commands.executeCommand('localGpt.toggleInlineCompletions');
      await waitFor(() => services.settings.current.enabled, 'localGpt.enabled back to true');
      assert.match(services.statusBar.current.text, engineState, 'the engine state again, not "off"');
    } finally {
      await config.update('enabled', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('validates settings in the real host: out-of-range values are clamped, wrong types replaced, all logged', async () => {
    const { services } = await activateExtension();
    const config = vscode.workspace.getConfiguration('localGpt');
    const target = vscode.ConfigurationTarget.Workspace;
    try {
      const logged = await warningsDuring(services.log, async () => {
        await config.update('threads', 64, target);
        await config.update('attention.maxTokens', 2, target);
        await config.update('backend', 'gpu', target);
        await waitFor(() => services.settings.current.backend === 'auto' && services.settings.current.threads === 16 && services.settings.current.attention.maxTokens === 16, 'settings reload');
      });
      // Each fix is logged, with the value given and the value used (the last reload names all three).
      for (const line of [
        'Settings: localGpt.threads: 64 is above the maximum 16; using 16.',
        'Settings: localGpt.attention.maxTokens: 2 is below the minimum 16; using 16.',
        'Settings: localGpt.backend: "gpu" is not one of "auto", "native", "wasm"; using the default "auto".',
      ]) {
        assert.ok(logged.includes(line), `logged: ${line}\n  got: ${JSON.stringify(logged)}`);
      }
      assert.equal(services.settings.current.threads, 16);
      assert.equal(services.settings.current.attention.maxTokens, 16);
      assert.equal(services.settings.current.backend, 'auto');
      assert.equal(services.settings.current.debounceMs, 75, 'untouched settings keep their defaults');
    } finally {
      for (const key of ['threads', 'attention.maxTokens', 'backend']) await config.update(key, undefined, target);
    }
    await waitFor(() => services.settings.current.threads === 0, 'settings back to defaults');
  });

  it('Show Log runs; Explain Attention without an editor says what it needs, and in a file explains the token before the cursor', async function () {
    this.timeout(180_000);
    await activateExtension();
    await vscode.commands.executeCommand('localGpt.showLog');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const none = await vscode.commands.executeCommand<ExplainResult>('localGpt.explainAttention');
    assert.deepEqual(none, { ok: false, message: 'Explain Attention needs an open editor: put the cursor after the code you want explained.' });

    const editor = await openWorkspaceFile('src/greet.ts');
    const line = editor.document.lineAt(8); // "  return `Hello, ${person.name}!`;" in the fixture
    const at = line.text.indexOf('person.') + 'person.'.length;
    assert.ok(at > 'person.'.length, `line 9 of src/greet.ts: ${JSON.stringify(line.text)}`);
    editor.selection = new vscode.Selection(8, at, 8, at);
    const result = await vscode.commands.executeCommand<ExplainResult>('localGpt.explainAttention');
    assert.equal(result.ok, true, result.message);
    assert.deepEqual(result.query && { text: result.query.text, line: result.query.line, end: result.query.end }, {
      text: '.', line: 9, end: editor.document.offsetAt(new vscode.Position(8, at)),
    });
    assert.ok((result.ranked?.length ?? 0) > 0 && (result.highlighted ?? 0) > 0, JSON.stringify(result).slice(0, 300));
    const weights = result.ranked!.map((r) => r.weight);
    assert.ok(weights.every((w, i) => w > 0 && w <= 1 && (i === 0 || w <= weights[i - 1])), `ranked by weight: ${weights}`);
    for (const r of result.ranked!) assert.equal(editor.document.getText(new vscode.Range(editor.document.positionAt(r.start), editor.document.positionAt(r.end))), r.text);
    assert.match(result.explanation!.headline, /^To predict what comes after “\.” \(line 9\), the model looked most at /);
    await vscode.commands.executeCommand('localGpt.clearAttentionHighlights');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
