import { strict as assert } from 'node:assert';
import { GptConfig } from '../../../src/model/config';
import { argmax, forward, gelu, generateGreedy, layerNorm, softmax } from '../../../src/model/gpt';
import { prng, randomModel } from '../../../src/model/random';
import { maxAbsDiff } from './fixtures/runtimes';

const config: GptConfig = { vocab_size: 37, n_positions: 24, n_embd: 20, n_layer: 2, n_head: 5, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
const weights = randomModel(config, 3, { std: 0.3 });
const tokens = [5, 17, 2, 36, 0, 9, 9, 21, 30, 1];

function rows(x: Float32Array, from: number, to: number, width: number): Float32Array {
  return x.subarray(from * width, to * width);
}

describe('reference GPT forward (src/model/gpt.ts)', () => {
  it('gelu is the tanh approximation (gelu_new)', () => {
    // Values of 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), computed independently.
    const out = gelu(Float32Array.of(-3, -1, 0, 0.5, 1, 3));
    const expected = [-0.0036373920817729943, -0.15880800939172324, 0, 0.34571400982514394, 0.8411919906082768, 2.996362607918227];
    assert.ok(maxAbsDiff(out, expected) < 1e-6, `${out}`);
  });

  it('layerNorm normalises each row with the biased variance, then scales and shifts', () => {
    const x = Float32Array.of(1, 2, 3, 4, 10, 10, 10, 14);
    const y = layerNorm(x, Float32Array.of(2, 2, 2, 2), Float32Array.of(1, 1, 1, 1), 2, 4, 0);
    const r = 1 / Math.sqrt(1.25); // row 1: mean 2.5, biased variance 1.25
    assert.ok(maxAbsDiff(y.subarray(0, 4), [-1.5 * r * 2 + 1, -0.5 * r * 2 + 1, 0.5 * r * 2 + 1, 1.5 * r * 2 + 1]) < 1e-6);
    assert.ok(maxAbsDiff(y.subarray(4), [-1 / Math.sqrt(3) * 2 + 1, -1 / Math.sqrt(3) * 2 + 1, -1 / Math.sqrt(3) * 2 + 1, Math.sqrt(3) * 2 + 1]) < 1e-6);
  });

  it('softmax is stable for large scores', () => {
    const x = Float32Array.of(1000, 1000, 0, 1e30);
    softmax(x, 0, 3);
    assert.deepEqual([...x.subarray(0, 3)], [0.5, 0.5, 0]);
    assert.equal(x[3], Math.fround(1e30), 'values outside the range are untouched');
  });

  describe('attention wiring, on a 1-head model with hand-set query weights', () => {
    const one: GptConfig = { ...config, n_layer: 1, n_head: 1 };
    const C = one.n_embd;
    const T = 6;
    /** Zeroes the q columns of c_attn, so q = the q part of the bias, the same for every token. */
    const constantQuery = (qBias: number): ReturnType<typeof randomModel> => {
      const w = randomModel(one, 5, { std: 0.3 });
      for (let i = 0; i < C; i++) w.layers[0].c_attn_weight.fill(0, i * 3 * C, i * 3 * C + C);
      w.layers[0].c_attn_bias.fill(qBias, 0, C);
      return w;
    };
    const row = (a: Float32Array, t: number): number[] => [...a.subarray(t * T, (t + 1) * T)];

    it('q = 0: every token attends uniformly to itself and the tokens before it (causal mask)', () => {
      const { attentions } = forward(one, constantQuery(0), tokens.slice(0, T));
      for (let t = 0; t < T; t++) {
        assert.ok(maxAbsDiff(row(attentions[0], t), Array.from({ length: T }, (_, s) => (s <= t ? 1 / (t + 1) : 0))) < 1e-7, `row ${t}`);
      }
    });

    it('constant q: p(t, s) is proportional to a weight of key s alone (q and k taken from the right columns)', () => {
      const { attentions } = forward(one, constantQuery(1), tokens.slice(0, T));
      const last = row(attentions[0], T - 1);
      assert.ok(Math.max(...last) > 2 * Math.min(...last), 'keys differ, so attention is not uniform');
      for (let t = 1; t < T; t++) {
        const r = row(attentions[0], t);
        const expected = last.slice(0, t + 1).map((p) => p / last.slice(0, t + 1).reduce((a, b) => a + b, 0));
        assert.ok(maxAbsDiff(r.slice(0, t + 1), expected) < 1e-6, `row ${t} is the last row renormalised over keys 0..${t}`);
      }
    });
  });

  it('attention probabilities: rows sum to 1, zero above the diagonal', () => {
    const { attentions } = forward(config, weights, tokens);
    const T = tokens.length;
    for (const layer of attentions) {
      assert.equal(layer.length, config.n_head * T * T);
      for (let h = 0; h < config.n_head; h++) {
        for (let t = 0; t < T; t++) {
          const row = layer.subarray((h * T + t) * T, (h * T + t + 1) * T);
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
          assert.ok(row.subarray(t + 1).every((p) => p === 0));
        }
      }
      assert.ok(Math.max(...layer) > 0.5, 'peaked attention: the test model is not trivially uniform');
    }
  });

  it('is causal: a later token does not change earlier logits', () => {
    const a = forward(config, weights, tokens).logits;
    const b = forward(config, weights, [...tokens.slice(0, 6), 11, 12, 13, 14]).logits;
    const V = config.vocab_size;
    assert.equal(maxAbsDiff(rows(a, 0, 6, V), rows(b, 0, 6, V)), 0);
    assert.ok(maxAbsDiff(rows(a, 6, 10, V), rows(b, 6, 10, V)) > 0.01);
  });

  it('incremental decoding with the KV cache equals full recompute', () => {
    const V = config.vocab_size;
    const full = forward(config, weights, tokens);
    let cache;
    let done = 0;
    for (const chunk of [4, 1, 1, 3, 1]) {
      const step = forward(config, weights, tokens.slice(done, done + chunk), cache);
      assert.ok(maxAbsDiff(step.logits, rows(full.logits, done, done + chunk, V)) < 1e-5, `logits of tokens ${done}..${done + chunk - 1}`);
      // Attention of the new rows over all S = done + chunk keys matches the full run's rows, cut at S.
      const S = done + chunk;
      for (let h = 0; h < config.n_head; h++) {
        for (let t = 0; t < chunk; t++) {
          const inc = step.attentions[1].subarray((h * chunk + t) * S, (h * chunk + t + 1) * S);
          const ref = full.attentions[1].subarray((h * tokens.length + done + t) * tokens.length, (h * tokens.length + done + t) * tokens.length + S);
          assert.ok(maxAbsDiff(inc, ref) < 1e-6);
        }
      }
      cache = step.cache;
      done += chunk;
      assert.equal(cache.length, done);
    }
  });

  it('greedy generation with the cache equals argmax of full recompute at every step', () => {
    const prompt = [3, 14, 15];
    const out = generateGreedy(config, weights, prompt, 8, { stopAtEos: false });
    const seq = [...prompt];
    for (let i = 0; i < 8; i++) {
      const { logits } = forward(config, weights, seq);
      seq.push(argmax(logits, (seq.length - 1) * config.vocab_size, config.vocab_size));
    }
    assert.deepEqual(out, seq.slice(prompt.length));
  });

  it('greedy generation stops after eos_token_id', () => {
    // Make eos the best next token everywhere: a large bias towards its embedding.
    const w = randomModel(config, 3, { std: 0.3 });
    w.ln_f_bias.set(w.wte.subarray(config.eos_token_id * config.n_embd, (config.eos_token_id + 1) * config.n_embd).map((v) => v * 100));
    assert.deepEqual(generateGreedy(config, w, [3, 4], 5), [config.eos_token_id]);
    assert.equal(generateGreedy(config, w, [3, 4], 5, { stopAtEos: false }).length, 5);
  });

  it('says what is wrong with bad input', () => {
    assert.throws(() => forward(config, weights, new Array(25).fill(1)), /25 tokens exceed the model's context of n_positions=24/);
    assert.throws(() => forward(config, weights, [1, 37]), /token id 37 is outside the vocabulary \[0, 37\)/);
    assert.throws(() => forward(config, weights, []), /no tokens/);
  });
});

describe('randomModel (src/model/random.ts)', () => {
  it('is deterministic for a seed and different across seeds', () => {
    const a = randomModel(config, 1);
    const b = randomModel(config, 1);
    const c = randomModel(config, 2);
    assert.deepEqual(a.layers[1].c_fc_weight, b.layers[1].c_fc_weight);
    assert.notDeepEqual(a.wte, c.wte);
    // Different tensors are not copies of one another.
    assert.notDeepEqual(a.layers[0].ln_1_bias, a.layers[0].ln_2_bias);
  });

  it('uses GPT-2-like statistics, with LayerNorm weights near 1 and non-zero biases', () => {
    const big: GptConfig = { vocab_size: 500, n_positions: 64, n_embd: 64, n_layer: 4, n_head: 4, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
    const w = randomModel(big, 9);
    const stats = (x: Float32Array): [number, number] => {
      const mean = x.reduce((a, b) => a + b, 0) / x.length;
      return [mean, Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length)];
    };
    const [m, s] = stats(w.wte);
    assert.ok(Math.abs(m) < 0.002 && Math.abs(s - 0.02) < 0.001, `wte mean ${m} std ${s}`);
    assert.ok(Math.abs(stats(w.layers[2].mlp_c_proj_weight)[1] - 0.02 / Math.sqrt(8)) < 0.0005, 'residual projections scaled by 1/sqrt(2 n_layer)');
    const [lnMean, lnStd] = stats(w.layers[0].ln_1_weight);
    assert.ok(Math.abs(lnMean - 1) < 0.05 && lnStd > 0.05 && lnStd < 0.15, `ln_1 weight mean ${lnMean} std ${lnStd}`);
    assert.ok(stats(w.layers[0].c_attn_bias)[1] > 0.01, 'biases are not zero');
  });

  it('prng gives uniform values in [0, 1)', () => {
    const r = prng(42);
    const xs = Array.from({ length: 20000 }, r);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  });
});
