/**
 * A slow Explain Attention is not a hang: the worker says `alive` for an attention request while its one
 * long model run goes on, and for a completion queued behind it while it waits (in process, a tiny model
 * whose every ONNX Runtime run lasts until each request in flight has said `alive` twice more, beats every
 * 50 ms: paced by the beats, not by a length of time that a busy machine could stretch unevenly).
 */
import { strict as assert } from 'node:assert';
import { startBackend, type Transformers } from '../../../src/engine/backend';
import { hookModelSessions } from '../../../src/engine/nativeActivity';
import type { GenerationOptions, HostToWorker, WorkerToHost } from '../../../src/engine/protocol';
import { WorkerCore } from '../../../src/engine/workerCore';
import { tinyGpt2 } from './fixtures/tinyModels';

const BEAT_MS = 50;
/** Beats each request in flight says during one model run. */
const BEATS_PER_RUN = 2;
const greedy: GenerationOptions = { maxNewTokens: 2, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };

/** What the worker posted, and the requests it has not answered yet. */
const posted: WorkerToHost[] = [];
const inFlight = new Set<number>();
const post = (m: WorkerToHost) => {
  posted.push(m);
  if (m.type !== 'alive' && 'id' in m && typeof m.id === 'number') inFlight.delete(m.id);
};
const beatsOf = (id: number) => posted.filter((m) => m.type === 'alive' && m.id === id).length;

/**
 * Resolves once every request in flight now has said `alive` BEATS_PER_RUN more times (or has been
 * answered). After 10 s without them it gives up (a hang guard): a worker that does not beat then fails
 * the assertions below, which show the messages, rather than the test's timeout.
 */
async function beatsDuringRun(): Promise<void> {
  const from = [...inFlight].map((id) => [id, beatsOf(id)] as const);
  const end = Date.now() + 10_000;
  while (from.some(([id, n]) => inFlight.has(id) && beatsOf(id) < n + BEATS_PER_RUN) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, BEAT_MS / 5));
  }
}

describe('engine/workerCore: alive beats while a model request waits or runs', function () {
  this.timeout(60_000);
  let slow: Transformers;
  before(async () => {
    const transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
    slow = hookModelSessions(transformers, async (call, what) => {
      if (what === 'run') await beatsDuringRun();
      return call();
    });
  });

  it('an attention request and a completion queued behind it both say alive before their replies', async () => {
    const core = new WorkerCore({ transformers: slow, backend: 'native', threads: 1, post, aliveIntervalMs: BEAT_MS });
    await core.handle({ type: 'load', id: 1, source: { kind: 'local', dir: tinyGpt2().dir }, quantized: false, cacheDir: '/x', allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' });
    assert.ok(posted.some((m) => m.type === 'ready'), JSON.stringify(posted));
    posted.length = 0;

    const text = 'function add(a, b) {\n  return a + b;\n}';
    const attention: HostToWorker = { type: 'attention', id: 2, text, baseOffset: 0, baseLine: 0, cursor: text.length, maxTokens: 64, rows: [], completion: null };
    for (const id of [2, 3]) inFlight.add(id);
    const both = Promise.all([core.handle(attention), core.handle({ type: 'complete', id: 3, prompt: 'let x = ', options: greedy })]);
    await both;

    const order = posted.map((m) => `${m.type}:${'id' in m ? m.id : ''}`);
    const attentionDone = order.indexOf('attentionResult:2');
    const completeDone = order.indexOf('result:3');
    assert.ok(attentionDone >= 0 && completeDone > attentionDone, order.join(' '));
    const beatsBefore = (id: number, end: number) => order.slice(0, end).filter((o) => o === `alive:${id}`).length;
    // The attention pass is one run, and a run lasts BEATS_PER_RUN beats of every request in flight.
    assert.ok(beatsBefore(2, attentionDone) >= BEATS_PER_RUN, `the attention request said alive while it ran: ${order.join(' ')}`);
    assert.ok(beatsBefore(3, attentionDone) >= BEATS_PER_RUN, `the completion said alive while it waited behind the attention: ${order.join(' ')}`);
    assert.ok(beatsBefore(3, completeDone) > beatsBefore(3, attentionDone), `and while its own runs went on: ${order.join(' ')}`);
    // The beats stop with the reply.
    const count = posted.filter((m) => m.type === 'alive').length;
    await new Promise((r) => setTimeout(r, 4 * BEAT_MS));
    assert.equal(posted.filter((m) => m.type === 'alive').length, count, 'no beats after the replies');
    await core.handle({ type: 'dispose' });
  });
});
