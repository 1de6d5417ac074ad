/**
 * The engine on a real (tiny, random) GPT-2 in this process, on onnxruntime-node: tokenizer ids,
 * greedy tokens against the TypeScript reference forward pass, and prefix reuse proven by counting
 * the tokens that actually go through the ONNX model.
 */
import { strict as assert } from 'node:assert';
import { startBackend, type Transformers } from '../../../src/engine/backend';
import { PrefixReusingGenerator, type CausalLm } from '../../../src/engine/generate';
import { inspectModelFolder } from '../../../src/engine/modelFolder';
import type { GenerationOptions } from '../../../src/engine/protocol';
import { OwnedCacheLm } from '../../../src/engine/ownedCacheLm';
import { EngineSession } from '../../../src/engine/session';
import { TransformersCausalLm, type SessionKv } from '../../../src/engine/transformersLm';
import { generateGreedy } from '../../../src/model/gpt';
import { tinyGpt2 } from './fixtures/tinyModels';
import { greedyByRecompute, tinyLlama } from './fixtures/tinyLlama';

const greedy = (maxNewTokens: number): GenerationOptions => ({ maxNewTokens, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] });
const never = () => false;

/** Wraps a CausalLm to count the tokens it runs. */
function counting<P>(lm: CausalLm<P>): CausalLm<P> & { tokensRun: number } {
  const wrapped = {
    tokensRun: 0,
    contextLength: lm.contextLength,
    eosTokenIds: lm.eosTokenIds,
    truncate: (p: P, n: number) => lm.truncate(p, n),
    forward: (ids: readonly number[], past: P | null) => {
      wrapped.tokensRun += ids.length;
      return lm.forward(ids, past);
    },
  };
  return wrapped;
}

describe('engine/session (tiny GPT-2 on onnxruntime-node, in process)', function () {
  this.timeout(60000);
  let transformers: Transformers;
  let session: EngineSession;
  const model = tinyGpt2();
  const reference = (ids: number[], n: number) => generateGreedy(model.config, model.weights, ids, n);

  before(async () => {
    transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
    session = await EngineSession.open(transformers, inspectModelFolder(model.dir, { quantized: false }), { name: 'tiny', backend: 'native', threads: 1 });
  });
  after(() => session?.dispose());

  it('encodes and decodes as transformers.js does, with our tokenizer (a folder this project wrote)', () => {
    for (const text of ['function add(a, b) {', '  return a + b;\n}', 'héllo → wörld']) {
      const ids = session.tokenizer.encode(text);
      assert.deepEqual(session.encode(text), ids, text);
      assert.deepEqual(ids, model.tokenizer.encode(text), text);
      assert.equal(session.decode(ids), session.tokenizer.decode(ids, { skip_special_tokens: true }));
    }
    assert.ok((session as unknown as { ownTokenizer: unknown }).ownTokenizer, 'our tokenizer is in use');
  });

  it('describes the model', () => {
    assert.deepEqual(
      { ...session.info, dir: undefined },
      { name: 'tiny', dir: undefined, modelType: 'gpt2', onnxFile: 'onnx/model.onnx', backend: 'native', contextLength: 128, vocabSize: 300, capabilities: { fim: false } },
    );
  });

  it('greedy tokens equal the reference forward pass; typing reuses the prefix and runs only new tokens', async () => {
    const lm = counting(session.lm);
    const gen = new PrefixReusingGenerator<SessionKv>(lm, session);
    const texts = ['const value = compute(', 'const value = compute(i', 'const value = compute(it', 'const value = comp'];
    let previous: number[] = [];
    let generatedTotal = 0;
    for (const text of texts) {
      const ids = session.encode(text);
      const before = lm.tokensRun;
      const out = await gen.generate(ids, greedy(6), never);
      assert.equal(out.status, 'done');
      if (out.status !== 'done') return;
      // The reference's greedy tokens up to the first end-of-text (generation stops there, without it).
      const ref = reference(ids, 6);
      const stop = ref.findIndex((id) => session.lm.eosTokenIds.includes(id));
      assert.deepEqual(out.ids, stop < 0 ? ref : ref.slice(0, stop), text);
      assert.equal(out.stopReason, stop < 0 ? 'maxTokens' : 'eos', text);
      generatedTotal += out.ids.length;
      let common = 0;
      while (common < Math.min(previous.length, ids.length) && previous[common] === ids[common]) common++;
      const expectedReuse = previous.length === 0 ? 0 : Math.min(common, ids.length - 1);
      assert.equal(out.timings.reusedTokens, expectedReuse, text);
      assert.equal(lm.tokensRun - before, ids.length - expectedReuse + out.ids.length - 1, `${text}: tokens run`);
      previous = [...ids, ...out.ids.slice(0, -1)];
    }
    assert.ok(generatedTotal > 0, 'the model generated tokens (an empty output would match any reference)');
    assert.ok(lm.tokensRun < texts.reduce((s, t) => s + session.encode(t).length, 0) + 4 * 6, 'far fewer tokens than re-running every prompt');
  });

  it('our export runs with the engine-owned cache; the same prompts through transformers.js give the same logits and tokens', async () => {
    assert.ok(session.lm instanceof OwnedCacheLm, 'a graph with new_key_values outputs gets the owned cache');
    const viaTransformers = await EngineSession.open(transformers, inspectModelFolder(model.dir, { quantized: false }), { name: 'tiny', backend: 'native', threads: 1, ownedCache: false });
    try {
      assert.ok(viaTransformers.lm instanceof TransformersCausalLm);
      const ids = session.encode('for (let i = 0; i < 10; i++) {');
      // prefill, three decode steps, a cut back into the prompt and a different continuation
      let a = await session.lm.forward(ids, null);
      let b = await viaTransformers.lm.forward(ids, null);
      const close = (x: Float32Array, y: Float32Array, what: string) => assert.ok(x.every((v, i) => Math.abs(v - y[i]) < 1e-4), what);
      close(a.logits, b.logits, 'prefill');
      for (const next of [5, 17, 42]) {
        a = await session.lm.forward([next], a.past);
        b = await viaTransformers.lm.forward([next], b.past);
        close(a.logits, b.logits, `decode ${next}`);
      }
      const cutA = session.lm.truncate(a.past, ids.length - 2)!;
      const cutB = viaTransformers.lm.truncate(b.past, ids.length - 2)!;
      a = await session.lm.forward([7, 8], cutA);
      b = await viaTransformers.lm.forward([7, 8], cutB);
      close(a.logits, b.logits, 'after a cut');
      const out = await new PrefixReusingGenerator(viaTransformers.lm, viaTransformers).generate(ids, greedy(8), never);
      const own = await new PrefixReusingGenerator(session.lm, session).generate(ids, greedy(8), never);
      assert.deepEqual(own.status === 'done' && own.ids, out.status === 'done' && out.ids);
    } finally {
      await viaTransformers.dispose();
    }
  });

  it('typing the first characters of a suggestion (retokenized by BPE) serves the rest of it from stored logits', async () => {
    const lm = counting(session.lm);
    const gen = new PrefixReusingGenerator<SessionKv>(lm, session);
    const healing = { ...greedy(12), heal: true };
    let checked = 0;
    for (const base of ['function add(a, b) {', 'const value = compute(', 'for (let i = 0; i < 10; i++) {\n  console']) {
      const first = await gen.generate(session.encode(base), healing, never);
      if (first.status !== 'done' || first.text.length < 4) continue;
      for (const n of [1, 2, 3]) {
        await gen.generate(session.encode(base), healing, never); // the suggestion is on screen again
        const before = lm.tokensRun;
        const out = await gen.generate(session.encode(base + first.text.slice(0, n)), healing, never);
        assert.equal(out.status, 'done');
        if (out.status !== 'done') return;
        const rest = first.text.slice(n);
        assert.equal(out.text.slice(0, rest.length), rest.slice(0, out.text.length), `${JSON.stringify(base)} + ${JSON.stringify(first.text.slice(0, n))}: the rest of the suggestion`);
        // 12 new tokens past the typed text: the stored rows give all but (tokens typed) + the suggestion's last one
        assert.ok(lm.tokensRun - before <= n + 1, `${JSON.stringify(base)} + ${n} typed: ran ${lm.tokensRun - before} tokens, not a fresh generation`);
        checked++;
      }
    }
    assert.ok(checked >= 3, `checked ${checked} cases`);
  });

  it('the quantized graph loads and generates', async () => {
    const q8 = await EngineSession.open(transformers, inspectModelFolder(model.dir, { quantized: true }), { name: 'tiny', backend: 'native', threads: 1 });
    try {
      assert.equal(q8.info.onnxFile, 'onnx/model_quantized.onnx');
      const out = await new PrefixReusingGenerator(q8.lm, q8).generate(q8.encode('function add'), greedy(4), never);
      assert.equal(out.status === 'done' && out.ids.length, 4);
    } finally {
      await q8.dispose();
    }
  });

  it('a Llama-architecture model (RoPE, grouped-query attention, untied head): cached decoding equals full recompute, with prefix reuse', async () => {
    const llama = await EngineSession.open(transformers, inspectModelFolder(tinyLlama(), { quantized: false }), { name: 'llama', backend: 'native', threads: 1 });
    try {
      assert.equal(llama.info.modelType, 'llama');
      assert.ok(llama.lm instanceof TransformersCausalLm, 'a graph without new_key_values outputs runs through transformers.js');
      const lm = counting(llama.lm);
      const gen = new PrefixReusingGenerator<SessionKv>(lm, llama);
      for (const text of ['function add(a, b) {', 'function add(a, b) {\n', 'function sub(a, b) {\n']) {
        const ids = llama.encode(text);
        const before = lm.tokensRun;
        const out = await gen.generate(ids, greedy(6), never);
        assert.equal(out.status, 'done');
        if (out.status !== 'done') return;
        assert.deepEqual(out.ids, await greedyByRecompute(llama.lm, ids, 6), text);
        if (text.endsWith('\n')) assert.ok(out.timings.reusedTokens > 0, `${text}: reused ${out.timings.reusedTokens}`);
        // decode runs every generated token but the last, which is run too when EOS followed it
        const decodeRuns = out.stopReason === 'eos' ? out.ids.length : Math.max(0, out.ids.length - 1);
        assert.equal(lm.tokensRun - before, ids.length - out.timings.reusedTokens + decodeRuns, `${text}: tokens run`);
      }
    } finally {
      await llama.dispose();
    }
  });
});
