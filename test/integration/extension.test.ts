import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { activateExtension, EXTENSION_ID, waitFor } from './helpers';

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
      await config.update('threads', 64, target);
      await config.update('attention.maxTokens', 2, target);
      await config.update('backend', 'gpu', target);
      await waitFor(() => services.settings.current.backend === 'auto' && services.settings.current.threads === 16, 'settings reload');
      assert.equal(services.settings.current.threads, 16);
      assert.equal(services.settings.current.attention.maxTokens, 16);
      assert.equal(services.settings.current.backend, 'auto');
      assert.equal(services.settings.current.debounceMs, 75, 'untouched settings keep their defaults');
    } finally {
      for (const key of ['threads', 'attention.maxTokens', 'backend']) await config.update(key, undefined, target);
    }
    await waitFor(() => services.settings.current.threads === 0, 'settings back to defaults');
  });

  it('runs Show Log and Explain Attention without hanging', async () => {
    await activateExtension();
    await vscode.commands.executeCommand('localGpt.showLog');
    await vscode.commands.executeCommand('localGpt.explainAttention');
  });
});
