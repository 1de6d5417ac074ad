// Faults of the real model worker thread inside the real extension host: it crashes mid-generation,
// hangs past the reply deadline, or runs out of its heap. Each time the client restarts it with backoff,
// the status bar says so and comes back to "ready", and the next inline completion comes from the model
// again. Crashing three times makes it give up and say so; a settings change brings it back. Faults are
// injected by the test-only worker bundle (dist/faultWorker.js, test/harness/faultWorker.ts: a
// `localgpt-fault:<kind>` marker in the prompt), which this suite switches the engine to, with backoffs of
// 300/600/1200 ms, an 8 s hang deadline and a 384 MB heap, and back to the production worker after.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { GenerationOptions } from '../../src/engine/protocol';
import type { LocalGptApi } from '../../src/extension/extension';
import type { ClientEvent } from '../../src/engine/workerClient';
import { activateExtension, completionFromModel, useFaultWorker, waitFor } from './helpers';

const Global = vscode.ConfigurationTarget.Global;
const greedy: GenerationOptions = { maxNewTokens: 16, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };

interface Step {
  state: string;
  detail: string;
  /** The status bar right after the client's state change: its text and tooltip explanation. */
  bar: string;
  barDetail: string;
}

describe('Faults of the real model worker (crash, hang, out of memory, giving up)', function () {
  this.timeout(300_000); // a safety net: filling a 1 GB heap took 63 s under a load average of 17
  const config = () => vscode.workspace.getConfiguration('localGpt');
  let api: LocalGptApi;
  let steps: Step[] = [];
  let listener: { dispose(): void } | undefined;
  let threads = 1;
  let productionWorker: (() => void) | undefined;

  before(async () => {
    api = await activateExtension();
    productionWorker = useFaultWorker(api, { heapLimitMb: 384, timings: { backoffMs: [300, 600, 1200], replyDeadlineMs: 8000 } });
    await config().update('temperature', 0, Global);
    listener = api.completions.engine.addListener((e: ClientEvent) => {
      if (e.type !== 'state') return;
      const bar = api.services.statusBar.current;
      steps.push({ state: e.state, detail: e.detail ?? '', bar: bar.text, barDetail: bar.detail ?? '' });
    });
  });

  // Each test starts from a fresh engine with no crashes counted: a changed worker setting restarts it.
  beforeEach(async () => {
    threads = threads === 1 ? 2 : 1;
    await config().update('threads', threads, Global);
    await waitFor(() => api.completions.engine.stats.recentCrashes === 0 && api.completions.engine.state === 'idle', 'the engine to restart for the new setting', 10_000);
    await api.completions.engine.ensureLoaded();
    steps = [];
  });

  after(async () => {
    listener?.dispose();
    productionWorker?.();
    for (const key of ['threads', 'temperature', 'seed']) await config().update(key, undefined, Global);
  });

  const barReady = () => /Local GPT: ready/.test(api.services.statusBar.current.text);

  /** Injects `fault` into a running generation; resolves with the client's error message. */
  async function inject(fault: 'crash' | 'hang' | 'oom'): Promise<string> {
    const engine = api.completions.engine;
    const threadBefore = engine.stats.workerThreadId;
    assert.ok(threadBefore !== null, 'a worker runs before the fault');
    const started = Date.now();
    const error = await engine.complete(`// localgpt-fault:${fault}\nfunction add(a: number, b: number) {\n  return`, greedy).then(
      (reply) => assert.fail(`the ${fault} request was answered: ${JSON.stringify(reply)}`),
      (e: Error) => e.message,
    );
    console.log(`      ${fault}: the request failed after ${Date.now() - started} ms: ${error}`);
    return error;
  }

  /** The status bar said "restarting" (with the reason in the tooltip), then came back to ready; a completion follows. */
  async function expectRecovery(label: string, reason: RegExp): Promise<void> {
    const engine = api.completions.engine;
    const restarting = steps.find((s) => s.state === 'restarting');
    assert.ok(restarting, `the client went "restarting": ${JSON.stringify(steps)}`);
    assert.match(restarting.bar, /Local GPT: restarting/);
    assert.match(restarting.barDetail, /restarting in \d+ ms after: /);
    assert.match(restarting.barDetail, reason);
    await waitFor(barReady, 'the status bar to show ready again', 60_000);
    const inserted = await completionFromModel(api, `after ${label}`);
    console.log(`      ${label}: recovered; status bar ${JSON.stringify(api.services.statusBar.current.text)}, completion ${JSON.stringify(inserted.slice(0, 40))}`);
    assert.ok(engine.stats.workerThreadId !== null);
    assert.equal(engine.stats.recentCrashes, 1);
  }

  it('a crash mid-generation: restarted after backoff, status bar restarting then ready, completions come back', async () => {
    const before = api.completions.engine.stats.workerThreadId;
    const error = await inject('crash');
    assert.match(error, /the model worker threw: localgpt-fault: crash injected by the test hook/);
    await expectRecovery('crash', /threw: localgpt-fault: crash/);
    assert.notEqual(api.completions.engine.stats.workerThreadId, before, 'a new worker thread');
  });

  it('a hang (no reply within the deadline): the worker is replaced, completions come back', async () => {
    const before = api.completions.engine.stats.workerThreadId;
    const error = await inject('hang');
    assert.match(error, /no reply to "complete" within 8000 ms \(the worker hangs\)/);
    await expectRecovery('hang', /the worker hangs/);
    assert.notEqual(api.completions.engine.stats.workerThreadId, before, 'a new worker thread');
  });

  it('out of memory: the worker dies at its heap limit (the host lives on), completions come back', async () => {
    const hostHeapBefore = process.memoryUsage().heapUsed;
    const error = await inject('oom');
    assert.match(error, /the model worker ran out of memory \(.*heap out of memory\)/);
    await expectRecovery('oom', /ran out of memory/);
    const grewMb = (process.memoryUsage().heapUsed - hostHeapBefore) / 2 ** 20;
    console.log(`      oom: extension host heap changed by ${grewMb.toFixed(1)} MB`);
    assert.ok(grewMb < 100, `the worker's allocation stayed out of the host heap (+${grewMb.toFixed(1)} MB)`);
  });

  it('three crashes: gives up and says so (status bar error, no completions); a settings change brings it back', async () => {
    const engine = api.completions.engine;
    for (let crash = 1; crash <= 3; crash++) {
      await waitFor(() => engine.state === 'ready', `the engine to be ready for crash ${crash}`, 60_000);
      await inject('crash');
    }
    const gaveUp = steps.find((s) => s.state === 'failed');
    assert.ok(gaveUp, `the client gave up: ${JSON.stringify(steps.map((s) => s.state))}`);
    assert.match(gaveUp.bar, /Local GPT: error/);
    assert.match(gaveUp.barDetail, /the model worker stopped 3 times in 5 min; inline completions are paused\. .*Change a Local GPT setting or reload the window/);
    console.log(`      gave up: ${gaveUp.barDetail}`);
    assert.equal(steps.filter((s) => s.state === 'restarting').length, 2, 'two restarts before giving up');
    // It stays down: no restart on its own, requests fail with the same message, no completion is shown.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(engine.state, 'failed');
    assert.match(api.services.statusBar.current.text, /Local GPT: error/);
    await assert.rejects(engine.complete('const x = ', greedy), /stopped 3 times/);
    // A request through the editor ends with the engine's error (rather than "nothing came in time"), and nothing is shown.
    const shown = api.completions.counts.model;
    const failedBefore = api.completions.noSuggestion.error;
    const content = `// while failed ${Date.now()}\nconst total = `;
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
    const editor = await vscode.window.showTextDocument(doc);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    editor.selection = new vscode.Selection(end, end);
    await vscode.commands.executeCommand('localGpt.triggerCompletion');
    await waitFor(() => api.completions.noSuggestion.error > failedBefore, 'the request to end with the engine\'s error', 30_000);
    await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    assert.equal(doc.getText(), content, 'no completion was shown to accept');
    assert.equal(api.completions.counts.model, shown);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

    await config().update('seed', 7, Global); // any Local GPT setting
    await waitFor(() => engine.state !== 'failed', 'the settings change to restart the engine');
    const inserted = await completionFromModel(api, 'after the settings change');
    // The worker may still be finishing the suggestion's follow-up step (status bar `generating`): what the user sees once it settles.
    await waitFor(() => barReady(), `the status bar to say ready (${api.services.statusBar.current.text})`, 30_000);
    console.log(`      settings change: back, completion ${JSON.stringify(inserted.slice(0, 40))}`);
  });
});
