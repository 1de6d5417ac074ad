/**
 * The decode graph the engine derives from the completion graph (src/model/decodeGraph.ts): the same
 * graph without `present.*` and the Concats that only they needed, fed a past in fixed-capacity
 * buffers whose empty slots are masked, as the engine's own cache does (src/engine/ownedKvCache.ts).
 */
import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import type { GptConfig } from '../../../src/model/config';
import { withoutPresentOutputs } from '../../../src/model/decodeGraph';
import { buildGptGraph } from '../../../src/model/export/gptGraph';
import { gptFeeds } from '../../../src/model/gptFeeds';
import { randomModel } from '../../../src/model/random';
import { onnxInfoOf } from './fixtures/onnxInfoOf';

const CONFIG: GptConfig = { vocab_size: 64, n_positions: 40, n_embd: 32, n_layer: 3, n_head: 4, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
const D = CONFIG.n_embd / CONFIG.n_head;
const weights = randomModel(CONFIG, 5, { std: 0.3 });
const prompt = Array.from({ length: 17 }, (_, i) => (i * 7 + 3) % CONFIG.vocab_size);
const next = [5, 41, 12];
const make = (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]) => new ort.Tensor(type, data, dims);

/** Logits of each token of `next` after `prompt`, decoded one by one with the runtime's `present` cache. */
async function viaPresent(graph: Uint8Array): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(graph);
  try {
    let out = await session.run(gptFeeds(make, CONFIG, prompt, { logitsToKeep: 1 }));
    const rows: Float32Array[] = [];
    for (const [i, token] of next.entries()) {
      out = await session.run(gptFeeds(make, CONFIG, [token], { pastLength: prompt.length + i, past: out, logitsToKeep: 1 }));
      rows.push(out.logits.data as Float32Array);
    }
    return rows;
  } finally {
    await session.release();
  }
}

/**
 * The same through the derived graph, the past in buffers of `capacity` slots per head holding the
 * `new_key_values` of each run; the empty slots hold a large finite value and are masked.
 */
async function viaOwnedBuffers(graph: Uint8Array, capacity: number): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(graph);
  const entries = Array.from({ length: 2 * CONFIG.n_layer }, () => new Float32Array(CONFIG.n_head * capacity * D).fill(1e4));
  const names = Array.from({ length: CONFIG.n_layer }, (_, i) => [`${i}.key`, `${i}.value`]).flat();
  let length = 0;
  const store = (out: ort.InferenceSession.OnnxValueMapType, count: number) => {
    names.forEach((name, e) => {
      const fresh = out[`new_key_values.${name}`].data as Float32Array;
      for (let h = 0; h < CONFIG.n_head; h++) entries[e].set(fresh.subarray(h * count * D, (h + 1) * count * D), (h * capacity + length) * D);
    });
    length += count;
  };
  const runOn = async (tokens: number[], past: boolean) => {
    const feeds = gptFeeds(make, CONFIG, tokens, { pastLength: length, logitsToKeep: 1 });
    if (past) {
      const mask = new BigInt64Array(capacity + tokens.length).fill(1n).fill(0n, length, capacity);
      feeds.attention_mask = make('int64', mask, [1, capacity + tokens.length]);
      names.forEach((name, e) => (feeds[`past_key_values.${name}`] = make('float32', entries[e], [1, CONFIG.n_head, capacity, D])));
    }
    const out = await session.run(feeds);
    store(out, tokens.length);
    return out.logits.data as Float32Array;
  };
  try {
    await runOn(prompt, false);
    const rows: Float32Array[] = [];
    for (const token of next) rows.push(await runOn([token], true));
    return rows;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((row, r) => row.forEach((x, i) => (m = Math.max(m, Math.abs(x - b[r][i])))));
  return m;
}

describe('model/decodeGraph: the completion graph without present.*', function () {
  this.timeout(60_000);
  const fp32 = buildGptGraph(CONFIG, weights);
  const q8 = buildGptGraph(CONFIG, weights, { quantize: true });

  it('removes the present outputs and the one Concat per layer and key/value that made them, nothing else', () => {
    const derived = withoutPresentOutputs(fp32, 'model.onnx');
    assert.ok(derived);
    assert.equal(derived.removedNodes, 2 * CONFIG.n_layer);
    const before = onnxInfoOf(fp32);
    const after = onnxInfoOf(derived.bytes);
    assert.deepEqual(
      after.outputs.map((o) => o.name),
      before.outputs.map((o) => o.name).filter((n) => !n.startsWith('present.')),
    );
    assert.ok(after.outputs.some((o) => o.name === 'new_key_values.0.key'));
    assert.deepEqual(after.inputs, before.inputs);
    assert.equal(after.nodes, before.nodes - 2 * CONFIG.n_layer);
    assert.equal(after.initializers, before.initializers);
  });

  for (const [label, graph, bound] of [['fp32', fp32, 1e-5], ['int8', q8, 1e-4]] as const) {
    it(`${label}: decoding with the past in masked fixed-capacity buffers gives the logits of the present cache`, async () => {
      const expected = await viaPresent(graph);
      const derived = withoutPresentOutputs(graph, 'model.onnx');
      assert.ok(derived);
      for (const capacity of [prompt.length + next.length, 32]) {
        const diff = maxAbsDiff(await viaOwnedBuffers(derived.bytes, capacity), expected);
        assert.ok(diff <= bound, `capacity ${capacity}: logits differ by ${diff}`);
      }
    });
  }

  it('a graph without present outputs, or with bad bytes: null, or an error naming the file', () => {
    const derived = withoutPresentOutputs(fp32, 'model.onnx');
    assert.ok(derived);
    assert.equal(withoutPresentOutputs(derived.bytes, 'derived.onnx'), null);
    assert.throws(() => withoutPresentOutputs(fp32.subarray(0, fp32.length - 100), '/m/model.onnx'), /^Error: \/m\/model\.onnx: not a readable ONNX model/);
  });
});
