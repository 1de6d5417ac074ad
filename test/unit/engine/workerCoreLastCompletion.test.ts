/**
 * Explain Attention for the last completion explains exactly what the model saw (in process, the tiny
 * model, the int8 graph for completions): the snapshot's token ids are the completion's prompt ids
 * (header line included) followed by its generated ids, and the panel is told which graph computed the
 * numbers (the graph it ran on, int8). A request naming an older result is recomputed, and says so.
 */
import { strict as assert } from 'node:assert';
import { startBackend, type Transformers } from '../../../src/engine/backend';
import type { GenerationOptions, HostToWorker, WorkerToHost } from '../../../src/engine/protocol';
import { WorkerCore } from '../../../src/engine/workerCore';
import type { AttentionSnapshot } from '../../../src/attention/types';
import { tinyGpt2 } from './fixtures/tinyModels';

const greedy: GenerationOptions = { maxNewTokens: 5, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };

describe('engine/workerCore: attention of the last completion uses its exact ids', function () {
  this.timeout(60_000);
  let transformers: Transformers;
  before(async () => {
    transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
  });

  it('prompt ids + generated ids, the header line shown, the graphs named; an older result is recomputed', async () => {
    const posted: WorkerToHost[] = [];
    const core = new WorkerCore({ transformers, backend: 'native', threads: 1, post: (m) => posted.push(m) });
    await core.handle({ type: 'load', id: 1, source: { kind: 'local', dir: tinyGpt2().dir }, quantized: true, cacheDir: '/x', allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' });
    const ready = posted.find((m) => m.type === 'ready');
    assert.ok(ready && ready.type === 'ready' && ready.model.onnxFile === 'onnx/model_quantized.onnx', JSON.stringify(ready));

    const docBefore = 'let a = 1;\nfunction add(a, b) {\n  return ';
    const prompt = `// src/add.js\n${docBefore}`;
    await core.handle({ type: 'complete', id: 2, prompt, options: greedy });
    const result = posted.find((m) => m.type === 'result');
    assert.ok(result && result.type === 'result', JSON.stringify(posted));
    const promptIds = core.session!.encode(prompt);

    const attention = (id: number, resultId: number): HostToWorker => ({
      type: 'attention', id, text: docBefore, baseOffset: 0, baseLine: 0, cursor: docBefore.length, maxTokens: 16, rows: [],
      completion: { text: result.text, offset: docBefore.length, inDocument: false, resultId },
    });
    const snapshotOf = (id: number): AttentionSnapshot => {
      const reply = posted.find((m) => m.type === 'attentionResult' && m.id === id);
      assert.ok(reply && reply.type === 'attentionResult' && reply.outcome.kind === 'ok', JSON.stringify(reply));
      return reply.outcome.snapshot;
    };

    await core.handle(attention(3, 2));
    const s = snapshotOf(3);
    const ids = s.tokens.map((t) => t.id);
    // Exactly the prompt the model saw (not cut to maxTokens 16: those are the tokens it looked at), then what it generated.
    assert.deepEqual(ids.slice(0, s.generatedFrom), promptIds);
    assert.equal(s.generatedFrom, promptIds.length);
    assert.equal(s.queryToken, promptIds.length - 1);
    assert.equal(ids.length - s.generatedFrom, result.generatedTokens);
    assert.equal(s.tokens.slice(s.generatedFrom).map((t) => t.text).join(''), result.text);
    assert.equal(s.tokens.slice(0, s.generatedFrom).map((t) => t.text).join(''), prompt, 'the header line is among the tokens');
    // The header is not in the document: its tokens have empty ranges; the document's tokens sit at their offsets.
    const firstDocToken = s.tokens.findIndex((t) => t.end > t.start);
    assert.equal(s.tokens.slice(0, firstDocToken).map((t) => t.text).join(''), '// src/add.js\n');
    assert.equal(s.tokens[firstDocToken].start, 0);
    // The attention graph is derived from the graph the completion ran on (int8 here): the numbers are its own, nothing to say.
    assert.equal(s.note, undefined);

    // Another completion later: the first one's exact input is gone; the panel says the window was recomputed.
    await core.handle({ type: 'complete', id: 4, prompt: 'const x = ', options: greedy });
    await core.handle(attention(5, 2));
    const again = snapshotOf(5);
    assert.match(again.note ?? '', /^Recomputed: the worker no longer holds this completion's exact input/);
    assert.ok(!again.tokens.map((t) => t.text).join('').includes('// src/add.js'), 'no header line in a recomputed window');
    await core.handle({ type: 'dispose' });
  });
});
