/**
 * Both backends for real: the worker (src/engine/worker.ts, in a worker thread, as the extension
 * runs it) on onnxruntime-node and on onnxruntime-web WebAssembly must load the same tiny GPT-2
 * and generate the greedy tokens of the TypeScript reference forward pass.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { sourceWorker } from '../../../src/engine/sourceWorker';
import { WorkerClient, type ClientEvent } from '../../../src/engine/workerClient';
import type { BackendName, GenerationOptions } from '../../../src/engine/protocol';
import { generateGreedy } from '../../../src/model/gpt';
import { tinyGpt2 } from './fixtures/tinyModels';
import { greedyByRecompute, tinyLlama } from './fixtures/tinyLlama';
import { startBackend } from '../../../src/engine/backend';
import { inspectModelFolder } from '../../../src/engine/modelFolder';
import { EngineSession } from '../../../src/engine/session';

const WORKER = path.resolve(__dirname, '../../../src/engine/worker.ts');
const WASM = path.resolve(__dirname, '../../../node_modules/onnxruntime-web/dist');
const greedy: GenerationOptions = { maxNewTokens: 8, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };

describe('engine backends (worker thread, native and wasm)', function () {
  this.timeout(180_000); // two workers start transformers.js; slow on a busy 2-core machine
  const prompt = 'function add(a, b) {\n  return';
  let llamaExpected = '';

  before(async () => {
    // What the Llama fixture must generate, by full recompute in this process (onnxruntime-node).
    const transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
    const session = await EngineSession.open(transformers, inspectModelFolder(tinyLlama(), { quantized: false }), { name: 'llama', backend: 'native', threads: 1 });
    try {
      llamaExpected = session.decode(await greedyByRecompute(session.lm, session.encode(prompt), greedy.maxNewTokens));
    } finally {
      await session.dispose();
    }
  });

  for (const backend of ['native', 'wasm'] as BackendName[]) {
    it(`${backend}: GPT-2 generates the reference greedy tokens and reuses the prefix on the next keystroke; Llama matches full recompute`, async () => {
      const model = tinyGpt2();
      const events: ClientEvent[] = [];
      const client = new WorkerClient(
        {
          start: { backend, threads: 2, wasmPaths: WASM },
          load: { source: { kind: 'local', dir: model.dir }, quantized: false, cacheDir: '/nonexistent', allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' },
        },
        { createWorker: sourceWorker(WORKER), onEvent: (e) => events.push(e) },
      );
      try {
        const info = await client.ensureLoaded();
        assert.equal(info.backend, backend);
        assert.equal(info.modelType, 'gpt2');
        assert.ok(events.some((e) => e.type === 'log' && e.message.includes(`${backend} backend`)));

        const ids = model.tokenizer.encode(prompt);
        const expected = model.tokenizer.decode(generateGreedy(model.config, model.weights, ids, greedy.maxNewTokens, { stopAtEos: true }).filter((t) => t !== 0));
        const first = await client.complete(prompt, greedy);
        assert.equal(first?.text, expected.replace(/\uFFFD+$/, ''));
        assert.equal(first?.timings.promptTokens, ids.length);
        assert.equal(first?.timings.reusedTokens, 0);

        const typed = await client.complete(`${prompt} a`, greedy);
        const typedIds = model.tokenizer.encode(`${prompt} a`);
        const typedExpected = model.tokenizer.decode(generateGreedy(model.config, model.weights, typedIds, greedy.maxNewTokens).filter((t) => t !== 0));
        assert.equal(typed?.text, typedExpected.replace(/\uFFFD+$/, ''));
        assert.ok((typed?.timings.reusedTokens ?? 0) >= ids.length - 1, `reused ${typed?.timings.reusedTokens} of ${typedIds.length}`);

        // The same worker switches to a Llama-architecture model.
        const loaded = await client.request((id) => ({ type: 'load', id, source: { kind: 'local', dir: tinyLlama() }, quantized: false, cacheDir: '/nonexistent', allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' }), 60_000);
        assert.ok(loaded.type === 'ready' && loaded.model.modelType === 'llama' && loaded.model.backend === backend, JSON.stringify(loaded));
        const llama = await client.complete(prompt, greedy);
        assert.equal(llama?.text, llamaExpected);
        assert.ok(llamaExpected.length > 0);
      } finally {
        await client.dispose();
      }
    });
  }
});
