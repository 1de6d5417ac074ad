/**
 * The exported ONNX graphs compute exactly the reference math of src/model/gpt.ts, on ONNX Runtime
 * node and on ONNX Runtime web (WebAssembly), for several model shapes.
 */
import { strict as assert } from 'node:assert';
import { withAttentionOutputs } from '../../../src/model/attentionGraph';
import { GptConfig } from '../../../src/model/config';
import { buildGptGraph } from '../../../src/model/export/gptGraph';
import { argmax, forward } from '../../../src/model/gpt';
import { randomModel } from '../../../src/model/random';
import { GptWeights } from '../../../src/model/weights';
import { Outputs, RUNTIMES, int64, maxAbsDiff, pastFeeds, sequenceFeeds } from './fixtures/runtimes';

const base = { layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
const SHAPES: { name: string; config: GptConfig; T: number[] }[] = [
  { name: '1 layer, 1 head', config: { ...base, vocab_size: 16, n_positions: 16, n_embd: 8, n_layer: 1, n_head: 1 }, T: [1, 5] },
  { name: '2 layers, 4 heads', config: { ...base, vocab_size: 64, n_positions: 40, n_embd: 32, n_layer: 2, n_head: 4 }, T: [1, 12, 40] },
  { name: 'odd sizes: 3 layers, 5 heads of 4, vocab 37', config: { ...base, vocab_size: 37, n_positions: 19, n_embd: 20, n_layer: 3, n_head: 5, layer_norm_epsilon: 1e-6 }, T: [7, 19] },
];
const TOL = 1e-4;

/** Deterministic token ids in [0, V). */
function tokensFor(T: number, V: number, salt = 0): number[] {
  return Array.from({ length: T }, (_, i) => (i * 7 + salt * 13 + 3) % V);
}

interface Model {
  config: GptConfig;
  weights: GptWeights;
  fp32: Uint8Array;
  attentions: Uint8Array;
  q8: Uint8Array;
}
const models = new Map<string, Model>();
function model(shape: (typeof SHAPES)[number]): Model {
  let m = models.get(shape.name);
  if (!m) {
    // std 0.3: peaked attention and spread-out logits, so a wiring mistake shows far above the tolerance.
    const weights = randomModel(shape.config, 11, { std: 0.3 });
    const fp32 = buildGptGraph(shape.config, weights);
    // The attention graph as the worker makes it: the fp32 completion graph with its attention tensors as outputs.
    const attentions = withAttentionOutputs(fp32, 'model.onnx').bytes;
    m = { config: shape.config, weights, fp32, attentions, q8: buildGptGraph(shape.config, weights, { quantize: true }) };
    models.set(shape.name, m);
  }
  return m;
}

const q8Logits = new Map<string, Float32Array>();

for (const rt of RUNTIMES) {
  describe(`exported ONNX graph on ${rt.name}`, () => {
    for (const shape of SHAPES) {
      describe(shape.name, () => {
        for (const T of shape.T) {
          it(`T=${T}: logits and attention probabilities equal the reference (max abs diff <= ${TOL})`, async () => {
            const { config, weights, fp32, attentions } = model(shape);
            const tokens = tokensFor(T, config.vocab_size);
            const ref = forward(config, weights, tokens);
            const out = await rt.run(attentions, sequenceFeeds(config, tokens));
            assert.deepEqual(out.logits.dims, [1, T, config.vocab_size]);
            assert.ok(maxAbsDiff(out.logits.data, ref.logits) <= TOL, `logits diff ${maxAbsDiff(out.logits.data, ref.logits)}`);
            for (let i = 0; i < config.n_layer; i++) {
              const a = out[`decoder_attentions.${i}`];
              assert.deepEqual(a.dims, [1, config.n_head, T, T]);
              assert.ok(maxAbsDiff(a.data, ref.attentions[i]) <= TOL, `layer ${i} attention diff ${maxAbsDiff(a.data, ref.attentions[i])}`);
            }
            // The completion graph has the same logits and no attention outputs.
            const plain = await rt.run(fp32, sequenceFeeds(config, tokens));
            assert.ok(maxAbsDiff(plain.logits.data, ref.logits) <= TOL);
            assert.deepEqual(Object.keys(plain).filter((k) => k.startsWith('decoder_attentions')), []);
            assert.deepEqual(plain[`present.0.key`].dims, [1, config.n_head, T, config.n_embd / config.n_head]);
          });
        }

        it('KV-cached incremental decoding gives the logits of full recompute', async () => {
          const { config, weights, fp32 } = model(shape);
          const T = Math.min(12, config.n_positions);
          const tokens = tokensFor(T, config.vocab_size, 1);
          const ref = forward(config, weights, tokens);
          const V = config.vocab_size;
          let past: Outputs | undefined;
          let done = 0;
          for (const chunk of [Math.ceil(T / 2), 1, 1, T - Math.ceil(T / 2) - 2]) {
            const out = await rt.run(fp32, sequenceFeeds(config, tokens.slice(done, done + chunk), past, done));
            const diff = maxAbsDiff(out.logits.data, ref.logits.subarray(done * V, (done + chunk) * V));
            assert.ok(diff <= TOL, `tokens ${done}..${done + chunk - 1}: diff ${diff}`);
            past = out;
            done += chunk;
            assert.equal(out['present.0.value'].dims[2], done, 'present grows by the new tokens');
          }
        });
      });
    }

    it('masks padding: a left-padded batch gives each sequence its unpadded logits, with and without a past', async () => {
      const { config, weights, attentions } = model(SHAPES[1]);
      const V = config.vocab_size;
      const a = tokensFor(9, V, 2);
      const b = tokensFor(5, V, 3);
      const pad = 4;
      // Batch of 2, left-padded to 9 (pad id 0); position ids count real tokens only, as transformers.js makes them.
      const ids = [...a, ...new Array(pad).fill(0), ...b];
      const mask = [...new Array(9).fill(1), ...new Array(pad).fill(0), ...new Array(5).fill(1)];
      const pos = [...a.map((_, i) => i), ...new Array(pad).fill(1), ...b.map((_, i) => i)];
      const out = await rt.run(attentions, { input_ids: int64(ids, [2, 9]), attention_mask: int64(mask, [2, 9]), position_ids: int64(pos, [2, 9]), num_logits_to_keep: int64([0], []), ...pastFeeds(config, 2) });
      const refA = forward(config, weights, a);
      const refB = forward(config, weights, b);
      assert.ok(maxAbsDiff(out.logits.data.subarray(0, 9 * V), refA.logits) <= TOL);
      assert.ok(maxAbsDiff(out.logits.data.subarray((9 + pad) * V, 18 * V), refB.logits) <= TOL);
      // Padding keys get exactly zero attention.
      const probs = out['decoder_attentions.0'].data; // [2, H, 9, 9]
      for (let h = 0; h < config.n_head; h++) {
        for (let t = pad; t < 9; t++) {
          for (let s = 0; s < pad; s++) assert.equal(probs[((1 * config.n_head + h) * 9 + t) * 9 + s], 0);
        }
      }

      // One more token each, through the cache: the mask now covers past + new.
      const next = [argmax(refA.logits, 8 * V, V), argmax(refB.logits, 4 * V, V)];
      const step = await rt.run(attentions, {
        input_ids: int64(next, [2, 1]),
        attention_mask: int64([...mask.slice(0, 9), 1, ...mask.slice(9), 1], [2, 10]),
        position_ids: int64([9, 5], [2, 1]),
        num_logits_to_keep: int64([0], []),
        ...pastFeeds(config, 2, out),
      });
      const stepA = forward(config, weights, [next[0]], refA.cache);
      const stepB = forward(config, weights, [next[1]], refB.cache);
      assert.ok(maxAbsDiff(step.logits.data.subarray(0, V), stepA.logits) <= TOL);
      assert.ok(maxAbsDiff(step.logits.data.subarray(V), stepB.logits) <= TOL);
    });

    it('the int8 graph runs, with logits near the reference and the same KV cache interface', async () => {
      const { config, weights, q8 } = model(SHAPES[1]);
      const tokens = tokensFor(20, config.vocab_size, 5);
      const ref = forward(config, weights, tokens).logits;
      const out = await rt.run(q8, sequenceFeeds(config, tokens.slice(0, 15)));
      const step = await rt.run(q8, sequenceFeeds(config, tokens.slice(15), out, 15));
      const V = config.vocab_size;
      const spread = Math.max(...ref) - Math.min(...ref);
      const diff = Math.max(maxAbsDiff(out.logits.data, ref.subarray(0, 15 * V)), maxAbsDiff(step.logits.data, ref.subarray(15 * V)));
      assert.ok(diff < 0.05 * spread, `int8 logits differ by ${diff}, the logits spread over ${spread}`);
      q8Logits.set(rt.name, step.logits.data);
    });

    it('the int8 graph gives a prompt the same logits however it is split into runs (per-token activation scales)', async () => {
      const { config, weights } = model(SHAPES[1]);
      const tokens = tokensFor(20, config.vocab_size, 5);
      const V = config.vocab_size;
      // Logits of the last token after running `tokens` in runs of the given sizes, each reusing the KV cache of the previous.
      const lastLogits = async (graph: Uint8Array, runs: number[]) => {
        let past: Outputs | undefined;
        let done = 0;
        for (const n of runs) {
          past = await rt.run(graph, sequenceFeeds(config, tokens.slice(done, done + n), past, done));
          done += n;
        }
        return past!.logits.data.subarray(past!.logits.data.length - V);
      };
      const splits = [[20], [7, 1, 1, 11], [19, 1], [1, 18, 1]];
      const perToken = buildGptGraph(config, weights, { quantize: true });
      const whole = await lastLogits(perToken, splits[0]);
      for (const runs of splits.slice(1)) {
        const diff = maxAbsDiff(await lastLogits(perToken, runs), whole);
        assert.ok(diff <= 1e-5, `runs of ${runs.join(', ')} tokens: the last logits differ by ${diff} from one run`);
      }
      // The premise: with one scale per run (ORT's quantize_dynamic) the same splits move the logits.
      const perRun = buildGptGraph(config, weights, { quantize: true, activationScale: 'tensor' });
      const perRunWhole = await lastLogits(perRun, splits[0]);
      const moved = Math.max(...(await Promise.all(splits.slice(1).map(async (runs) => maxAbsDiff(await lastLogits(perRun, runs), perRunWhole)))));
      assert.ok(moved > 1e-3, `per-run scales moved the logits by only ${moved}`);
    });

    it('num_logits_to_keep = K gives the logits of the last K positions (0 or more than the tokens: all), the same KV cache', async () => {
      const { config, weights, fp32, q8 } = model(SHAPES[1]);
      const V = config.vocab_size;
      const tokens = tokensFor(12, V, 6);
      const ref = forward(config, weights, tokens).logits;
      for (const [keep, rows] of [[1, 1], [3, 3], [12, 12], [40, 12], [0, 12]]) {
        const out = await rt.run(fp32, sequenceFeeds(config, tokens, undefined, 0, keep));
        assert.deepEqual(out.logits.dims, [1, rows, V], `num_logits_to_keep=${keep}`);
        assert.ok(maxAbsDiff(out.logits.data, ref.subarray((12 - rows) * V)) <= TOL, `num_logits_to_keep=${keep}: the last ${rows} rows`);
        const all = await rt.run(fp32, sequenceFeeds(config, tokens));
        assert.equal(maxAbsDiff(out['present.0.key'].data, all['present.0.key'].data), 0, 'the cache does not depend on it');
      }
      // The int8 graph takes it too: its last row is the int8 all-positions run's last row, near the reference.
      const last = await rt.run(q8, sequenceFeeds(config, tokens, undefined, 0, 1));
      assert.deepEqual(last.logits.dims, [1, 1, V]);
      const spread = Math.max(...ref) - Math.min(...ref);
      assert.ok(maxAbsDiff(last.logits.data, ref.subarray(11 * V)) < 0.05 * spread);
    });

    it('attention rows sum to 1 and are zero above the diagonal, also after a past', async () => {
      const { config, attentions } = model(SHAPES[2]);
      const first = await rt.run(attentions, sequenceFeeds(config, tokensFor(6, config.vocab_size)));
      const P = 6;
      const T = 5;
      const out = await rt.run(attentions, sequenceFeeds(config, tokensFor(T, config.vocab_size, 4), first, P));
      for (let i = 0; i < config.n_layer; i++) {
        const a = out[`decoder_attentions.${i}`];
        assert.deepEqual(a.dims, [1, config.n_head, T, P + T]);
        for (let h = 0; h < config.n_head; h++) {
          for (let t = 0; t < T; t++) {
            const row = a.data.subarray(((h * T) + t) * (P + T), ((h * T) + t + 1) * (P + T));
            assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5, 'sums to 1');
            assert.ok(row.subarray(P + t + 1).every((p) => p === 0), `query ${P + t} sees keys 0..${P + t} only`);
            assert.ok(row[0] > 0, 'and does see the past');
          }
        }
      }
    });
  });
}

describe('int8 graph on both runtimes', () => {
  it('gives (nearly) the same logits on ORT node and WASM: integer matmuls, float scales', function () {
    if (q8Logits.size < 2) this.skip(); // runs after the per-runtime tests above
    const [a, b] = [...q8Logits.values()];
    assert.ok(maxAbsDiff(a, b) < 1e-3, `node vs wasm ${maxAbsDiff(a, b)}`);
  });
});
