/**
 * The fault hook lives only in the integration tests' worker (test/harness/faultWorker.ts): the
 * production worker (src/engine/worker.ts, run from source) on a tiny model answers a prompt carrying
 * the crash marker like any other, keeps running, and says nothing on the stats channel, whatever the
 * environment. The fault worker kills its thread mid-generation on the same request and the client
 * restarts it. test/unit/reliability/workerBundle.test.ts checks the bundles themselves.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { sourceWorker } from '../../../src/engine/sourceWorker';
import { WorkerClient, type ClientEvent } from '../../../src/engine/workerClient';
import type { WorkerFactory } from '../../../src/engine/workerFactory';
import type { GenerationOptions } from '../../../src/engine/protocol';
import { tinyGpt2 } from '../engine/fixtures/tinyModels';

import { FAULT_STATS_CHANNEL } from '../../harness/faultStats';

const PRODUCTION_WORKER = path.join(__dirname, '../../../src/engine/worker.ts');
const FAULT_WORKER = path.join(__dirname, '../../harness/faultWorker.ts');
const greedy: GenerationOptions = { maxNewTokens: 4, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };
const CRASH_PROMPT = 'function add(a, b) { // localgpt-fault:crash\n  return';

function clientWith(createWorker: WorkerFactory) {
  const events: ClientEvent[] = [];
  const client = new WorkerClient(
    {
      start: { backend: 'native', threads: 1, wasmPaths: '' },
      load: { source: { kind: 'local', dir: tinyGpt2().dir }, quantized: false, cacheDir: '/nonexistent', allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' },
    },
    { createWorker, backoffMs: [50], onEvent: (e) => events.push(e) },
  );
  return { client, events };
}

/** Everything said on the hook's stats channel while the test runs. */
function listenToStats() {
  const stats: unknown[] = [];
  const channel = new BroadcastChannel(FAULT_STATS_CHANNEL);
  channel.onmessage = (event) => stats.push((event as { data: unknown }).data);
  return { stats, close: () => channel.close() };
}

describe('reliability/faultHook: the fault hook exists only in the test worker', function () {
  this.timeout(120_000);

  it('the production worker completes a prompt with the crash marker like any other and keeps running (even with the old switch LOCAL_GPT_TEST_FAULTS=1 set)', async () => {
    process.env.LOCAL_GPT_TEST_FAULTS = '1';
    const { client, events } = clientWith(sourceWorker(PRODUCTION_WORKER));
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
      assert.deepEqual(listener.stats, [], 'no stats channel in the production worker');
    } finally {
      delete process.env.LOCAL_GPT_TEST_FAULTS;
      listener.close();
      await client.dispose();
    }
  });

  it('the fault worker crashes its thread mid-generation on the same request; the client restarts it', async () => {
    const { client, events } = clientWith(sourceWorker(FAULT_WORKER));
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
