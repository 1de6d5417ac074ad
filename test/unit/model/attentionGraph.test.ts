/**
 * The attention graph the worker derives from the completion graph (src/model/attentionGraph.ts): the
 * same weights and nodes with `decoder_attentions.{i}` as outputs, so the panel's numbers are those of
 * the graph completions run.
 */
import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import { withAttentionOutputs } from '../../../src/model/attentionGraph';
import type { GptConfig } from '../../../src/model/config';
import { buildGptGraph } from '../../../src/model/export/gptGraph';
import { gptFeeds } from '../../../src/model/gptFeeds';
import { randomModel } from '../../../src/model/random';
import { onnxInfoOf } from './fixtures/onnxInfoOf';

const CONFIG: GptConfig = { vocab_size: 64, n_positions: 40, n_embd: 32, n_layer: 3, n_head: 4, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
const weights = randomModel(CONFIG, 5, { std: 0.3 });
const tokens = Array.from({ length: 17 }, (_, i) => (i * 7 + 3) % CONFIG.vocab_size);

async function run(graph: Uint8Array): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(graph);
  try {
    return await session.run(gptFeeds((type, data, dims) => new ort.Tensor(type, data, dims), CONFIG, tokens));
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  assert.deepEqual(a.dims, b.dims);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

const names = Array.from({ length: CONFIG.n_layer }, (_, i) => `decoder_attentions.${i}`);

describe('model/attentionGraph: the attention graph derived from the completion graph', function () {
  this.timeout(60_000);
  const fp32 = buildGptGraph(CONFIG, weights);
  const q8 = buildGptGraph(CONFIG, weights, { quantize: true });

  it('adds decoder_attentions.0..n-1 as outputs and nothing else', () => {
    const { bytes, outputs } = withAttentionOutputs(fp32, 'model.onnx');
    assert.deepEqual(outputs, names);
    const before = onnxInfoOf(fp32);
    const after = onnxInfoOf(bytes);
    assert.deepEqual(after.outputs.map((o) => o.name), [...before.outputs.map((o) => o.name), ...names]);
    assert.deepEqual(after.inputs, before.inputs);
    assert.equal(after.nodes, before.nodes);
    assert.equal(after.initializers, before.initializers);
    assert.equal(bytes.length - fp32.length < 200 * CONFIG.n_layer, true, 'only the output entries are added');
  });

  it('fp32: attention outputs equal the separately exported attention graph to 1e-6, logits identical', async () => {
    const derived = await run(withAttentionOutputs(fp32, 'model.onnx').bytes);
    const separate = await run(buildGptGraph(CONFIG, weights, { attentions: true }));
    for (const n of names) assert.ok(maxAbsDiff(derived[n], separate[n]) <= 1e-6, `${n}: ${maxAbsDiff(derived[n], separate[n])}`);
    assert.ok(maxAbsDiff(derived.logits, separate.logits) <= 1e-6);
  });

  it('int8: the derived graph runs and its logits equal the int8 completion graph exactly', async () => {
    const derived = await run(withAttentionOutputs(q8, 'model_quantized.onnx').bytes);
    const completion = await run(q8);
    assert.deepEqual(Array.from(derived.logits.data as Float32Array), Array.from(completion.logits.data as Float32Array));
    for (const n of names) {
      assert.deepEqual(derived[n].dims, [1, CONFIG.n_head, tokens.length, tokens.length]);
      // Each row is a causal softmax: sums to 1, zero past the diagonal.
      const p = derived[n].data as Float32Array;
      const T = tokens.length;
      for (let row = 0; row < CONFIG.n_head * T; row++) {
        const r = p.subarray(row * T, (row + 1) * T);
        assert.ok(Math.abs(r.reduce((a, b) => a + b, 0) - 1) < 1e-5);
        assert.ok(r.subarray((row % T) + 1).every((x) => x === 0));
      }
    }
  });

  it('a graph that already has the outputs comes back unchanged', () => {
    const separate = buildGptGraph(CONFIG, weights, { attentions: true });
    const { bytes, outputs } = withAttentionOutputs(separate, 'model_attentions.onnx');
    assert.equal(bytes, separate);
    assert.deepEqual(outputs, names);
  });

  it('a graph without the tensors gives no outputs; bad bytes give an error naming the file', () => {
    const renamed = Buffer.from(fp32);
    for (let at = renamed.indexOf('decoder_attentions.'); at >= 0; at = renamed.indexOf('decoder_attentions.', at + 1)) renamed.write('decoder_attentionz.', at);
    assert.deepEqual(withAttentionOutputs(renamed, 'other.onnx'), { bytes: renamed, outputs: [] });
    assert.throws(() => withAttentionOutputs(fp32.subarray(0, fp32.length - 100), '/m/model.onnx'), /^Error: \/m\/model\.onnx: not a readable ONNX model \(.*truncated/);
    assert.throws(() => withAttentionOutputs(new TextEncoder().encode('{"not": "onnx"}'), '/m/x.onnx'), /\/m\/x\.onnx: not/);
    const gap = Buffer.from(fp32);
    const second = gap.indexOf('decoder_attentions.1');
    gap.write('decoder_attentionz.1', second);
    assert.throws(() => withAttentionOutputs(gap, 'gap.onnx'), /gap\.onnx: has decoder_attentions\.0, decoder_attentions\.2 but no decoder_attentions\.1/);
  });
});
