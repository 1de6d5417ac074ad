/**
 * The `attention` request through the worker's message handling (in process, onnxruntime-node): validated
 * like every message, answered with an `attentionResult` that the host's validator accepts.
 */
import { strict as assert } from 'node:assert';
import { startBackend, type Transformers } from '../../../src/engine/backend';
import { parseWorkerMessage, type HostToWorker, type WorkerToHost } from '../../../src/engine/protocol';
import { WorkerCore } from '../../../src/engine/workerCore';
import { tinyGpt2 } from './fixtures/tinyModels';

describe('engine/workerCore: attention requests', function () {
  this.timeout(60_000);
  let transformers: Transformers;
  before(async () => {
    transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
  });

  const attention = (id: number, text: string): HostToWorker => ({
    type: 'attention', id, text, baseOffset: 0, baseLine: 0, cursor: text.length, maxTokens: 64, rows: [], completion: null,
  });

  it('answers with a snapshot the host accepts; before a load it says no model is loaded', async () => {
    const posted: WorkerToHost[] = [];
    const core = new WorkerCore({ transformers, backend: 'native', threads: 1, post: (m) => posted.push(m) });
    await core.handle(attention(1, 'let x = 1;'));
    assert.deepEqual(posted.pop(), { type: 'error', id: 1, code: 'notLoaded', message: 'no model is loaded yet (send "load" first)' });

    await core.handle({ type: 'load', id: 2, source: { kind: 'local', dir: tinyGpt2().dir }, quantized: false, cacheDir: '/x', allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' });
    await core.handle(attention(3, 'function add(a, b) {\n  return a + b;\n}'));
    const reply = posted.find((m) => m.type === 'attentionResult');
    assert.ok(reply && reply.type === 'attentionResult' && reply.id === 3, JSON.stringify(posted.map((m) => m.type)));
    const parsed = parseWorkerMessage(reply);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.equal(reply.outcome.kind, 'ok');
    if (reply.outcome.kind === 'ok') assert.equal(reply.outcome.snapshot.tokens.map((t) => t.text).join(''), 'function add(a, b) {\n  return a + b;\n}');
    await core.handle({ type: 'dispose' });
  });

  it('malformed attention requests are refused with the field named', async () => {
    const posted: WorkerToHost[] = [];
    const core = new WorkerCore({ transformers, backend: 'native', threads: 1, post: (m) => posted.push(m) });
    await core.handle({ ...attention(4, 'x'), maxTokens: 0 });
    await core.handle({ ...attention(5, 'x'), rows: 'all' });
    await core.handle({ ...attention(6, 'x'), completion: { text: 1 } });
    assert.deepEqual(
      posted.map((m) => (m.type === 'error' ? [m.id, m.code, m.message] : m.type)),
      [
        [4, 'badMessage', 'Local GPT worker: message.maxTokens must be in 1..4096'],
        [5, 'badMessage', 'Local GPT worker: message.rows must be an array'],
        [6, 'badMessage', 'Local GPT worker: message.completion.text must be a string'],
      ],
    );
  });
});
