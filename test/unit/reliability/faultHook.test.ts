/**
 * The test-only fault hook of the model worker (src/engine/worker.ts) is inert unless
 * LOCAL_GPT_TEST_FAULTS=1: the real worker thread (run from source) on a tiny model answers a prompt
 * carrying the crash marker like any other, keeps running, and says nothing on the stats channel.
 * With the variable set, the same request kills the thread mid-generation and the client restarts it.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import { WorkerClient, type ClientEvent, type WorkerFactory } from '../../../src/extension/workerClient';
import type { GenerationOptions } from '../../../src/engine/protocol';
import { tinyGpt2 } from '../engine/fixtures/tinyModels';

const WORKER = path.join(__dirname, '../../../src/engine/worker.ts');
const greedy: GenerationOptions = { maxNewTokens: 4, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };
const CRASH_PROMPT = 'function add(a, b) { // localgpt-fault:crash\n  return';

/** The real worker from source, with exactly the environment `env` (a worker sees a copy of it as process.env). */
function workerWithEnv(env: NodeJS.ProcessEnv): WorkerFactory {
  const tsx = require.resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(WORKER)});`;
  return (workerData) => new Worker(bootstrap, { eval: true, workerData, env });
}

function clientWith(env: NodeJS.ProcessEnv) {
  const events: ClientEvent[] = [];
  const client = new WorkerClient(
    {
      start: { backend: 'native', threads: 1, wasmPaths: '' },
      load: { source: { kind: 'local', dir: tinyGpt2().dir }, quantized: false, cacheDir: '/nonexistent', allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' },
    },
    { createWorker: workerWithEnv(env), backoffMs: [50], onEvent: (e) => events.push(e) },
  );
  return { client, events };
}

/** Everything said on the hook's stats channel while the test runs. */
function listenToStats() {
  const stats: unknown[] = [];
  const channel = new BroadcastChannel('localgpt-test-worker');
  channel.onmessage = (event) => stats.push((event as { data: unknown }).data);
  return { stats, close: () => channel.close() };
}

describe('reliability/faultHook: the worker fault hook exists only under LOCAL_GPT_TEST_FAULTS=1', function () {
  this.timeout(120_000);
  const { LOCAL_GPT_TEST_FAULTS: _unset, ...baseEnv } = process.env;

  it('without the variable, a prompt with the crash marker is completed like any other and the worker keeps running', async () => {
    const { client, events } = clientWith(baseEnv);
    const listener = listenToStats();
    try {
      const first = await client.complete(CRASH_PROMPT, greedy);
      assert.ok(first !== null && typeof first.text === 'string', `a result, got ${JSON.stringify(first)}`);
      const again = await client.complete(`${CRASH_PROMPT} a`, greedy);
      assert.ok(again !== null);
      assert.ok((again?.timings.reusedTokens ?? 0) > 0, 'the same worker (its cache) answered the second request');
      await new Promise((r) => setTimeout(r, 100)); // channel messages would have arrived by now
      assert.equal(client.state, 'ready');
      assert.deepEqual(events.filter((e) => e.type === 'state' && (e.state === 'restarting' || e.state === 'failed')), []);
      assert.deepEqual(listener.stats, [], 'no stats channel without the variable');
    } finally {
      listener.close();
      await client.dispose();
    }
  });

  it('with LOCAL_GPT_TEST_FAULTS=1 the same request crashes the thread mid-generation; the client restarts it', async () => {
    const { client, events } = clientWith({ ...baseEnv, LOCAL_GPT_TEST_FAULTS: '1' });
    const listener = listenToStats();
    try {
      assert.ok((await client.complete('function add(a, b) {\n  return', greedy)) !== null);
      const runs = listener.stats.filter((s) => (s as { kind: string }).kind === 'run') as { concurrent: number; ms: number }[];
      assert.ok(runs.length > 0, 'the hook reports the model runs of a normal request');
      assert.ok(runs.every((r) => r.concurrent === 1 && r.ms >= 0));
      await assert.rejects(client.complete(CRASH_PROMPT, greedy), /the model worker threw: localgpt-fault: crash injected/);
      assert.ok(events.some((e) => e.type === 'state' && e.state === 'restarting'));
      const kinds = listener.stats.map((s) => (s as { kind: string; type?: string; fault?: string }));
      assert.ok(kinds.some((s) => s.kind === 'in' && s.type === 'complete'), 'the hook reported the request');
      assert.ok(kinds.some((s) => s.kind === 'fault' && s.fault === 'crash'), 'the hook reported the fault');
      const after = await client.complete('function add(a, b) {\n  return', greedy).catch(async () => {
        await new Promise((r) => setTimeout(r, 200)); // still in the 50 ms backoff: ask again
        return client.complete('function add(a, b) {\n  return', greedy);
      });
      assert.ok(after !== null, 'a completion comes back after the restart');
    } finally {
      listener.close();
      await client.dispose();
    }
  });
});
