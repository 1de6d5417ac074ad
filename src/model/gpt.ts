/**
 * The GPT, in plain TypeScript: the reference forward pass that the ONNX export is tested against,
 * and the text the "Explain Attention" panel points users at.
 *
 * One sequence, no batch. Every activation is a row-major Float32Array:
 *   T = tokens in this call, P = tokens already in the KV cache, C = n_embd,
 *   H = n_head, D = head_dim = C / H, V = vocab_size.
 * Linear weights are GPT-2 Conv1D `[in, out]`, so a linear layer is `y = x W + b`.
 *
 * The model, as in GPT-2 (docs/ARCHITECTURE.md):
 *   x = wte[token] + wpe[position]
 *   for each block:  x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))
 *   logits = ln_f(x) wte^T                     (the LM head is the token embedding, transposed)
 *   attn(x) = c_proj(concat over heads of softmax(q k^T / sqrt(D) + causal_mask) v)
 *   mlp(x)  = c_proj(gelu(c_fc(x)))            (gelu: the tanh approximation, GPT-2's gelu_new)
 */
import { GptConfig } from './config';
import { GptWeights, LayerWeights } from './weights';

/** The reference forward pass's keys and values of every token seen so far, so the next call only computes the new tokens. */
export interface ReferenceKvCache {
  /** Tokens in the cache (P). */
  length: number;
  keys: Float32Array[]; // per layer [H, P, D]
  values: Float32Array[]; // per layer [H, P, D]
}

interface ForwardResult {
  logits: Float32Array; // [T, V]  scores for the token after each input token
  /** Per layer: attention probabilities [H, T, P+T]; row t is how much new token t looks at each token. */
  attentions: Float32Array[];
  /** The cache extended with this call's tokens: pass it to the next call. */
  cache: ReferenceKvCache;
}

function emptyCache(config: GptConfig): ReferenceKvCache {
  return {
    length: 0,
    keys: Array.from({ length: config.n_layer }, () => new Float32Array(0)),
    values: Array.from({ length: config.n_layer }, () => new Float32Array(0)),
  };
}

// ---------------------------------------------------------------------------------------------
// One function per operation, plain loops.

/** out[t] = (x[t] - mean) / sqrt(var + eps) * w + b, per row; biased variance like PyTorch. */
export function layerNorm(x: Float32Array, w: Float32Array, b: Float32Array, T: number, C: number, eps: number): Float32Array {
  const out = new Float32Array(T * C); // [T, C]
  for (let t = 0; t < T; t++) {
    const row = t * C;
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[row + c];
    mean /= C;
    let variance = 0;
    for (let c = 0; c < C; c++) variance += (x[row + c] - mean) ** 2;
    variance /= C;
    const rstd = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < C; c++) out[row + c] = (x[row + c] - mean) * rstd * w[c] + b[c];
  }
  return out;
}

/** y = x W + b with x [T, IN], W [IN, OUT] (Conv1D layout), b [OUT]  ->  y [T, OUT]. */
function linear(x: Float32Array, W: Float32Array, b: Float32Array, T: number, IN: number, OUT: number): Float32Array {
  const out = new Float32Array(T * OUT);
  const acc = new Float64Array(OUT);
  for (let t = 0; t < T; t++) {
    acc.set(b);
    for (let i = 0; i < IN; i++) {
      const xi = x[t * IN + i];
      const wRow = i * OUT;
      for (let o = 0; o < OUT; o++) acc[o] += xi * W[wRow + o];
    }
    out.set(acc, t * OUT);
  }
  return out;
}

/** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise, in place. */
export function gelu(x: Float32Array): Float32Array {
  const k = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v)));
  }
  return x;
}

/** Numerically stable softmax over `n` values starting at `offset`, in place. */
export function softmax(x: Float32Array, offset: number, n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, x[offset + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[offset + i] - max);
    x[offset + i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) x[offset + i] /= sum;
}

/** Appends `fresh` [T, H, D] (token-major, as c_attn produces it) to `past` [H, P, D]  ->  [H, P+T, D]. */
function appendHeads(past: Float32Array, fresh: Float32Array, P: number, T: number, H: number, D: number): Float32Array {
  const S = P + T;
  const out = new Float32Array(H * S * D);
  for (let h = 0; h < H; h++) {
    out.set(past.subarray(h * P * D, (h + 1) * P * D), h * S * D);
    for (let t = 0; t < T; t++) {
      out.set(fresh.subarray((t * H + h) * D, (t * H + h + 1) * D), (h * S + P + t) * D);
    }
  }
  return out;
}

/**
 * Causal self-attention of T new tokens over the P cached ones and themselves.
 * Returns the attention output before c_proj [T, C], the probabilities [H, T, P+T] and the
 * layer's new cache entries [H, P+T, D].
 */
function causalSelfAttention(
  x: Float32Array, // [T, C], already layer-normed
  layer: LayerWeights,
  pastK: Float32Array, // [H, P, D]
  pastV: Float32Array, // [H, P, D]
  P: number,
  T: number,
  C: number,
  H: number,
): { y: Float32Array; probs: Float32Array; keys: Float32Array; values: Float32Array } {
  const D = C / H;
  const S = P + T; // keys visible to the last token
  const qkv = linear(x, layer.c_attn_weight, layer.c_attn_bias, T, C, 3 * C); // [T, 3C] = q | k | v
  const q = new Float32Array(T * C); // [T, H, D]
  const k = new Float32Array(T * C); // [T, H, D]
  const v = new Float32Array(T * C); // [T, H, D]
  for (let t = 0; t < T; t++) {
    q.set(qkv.subarray(t * 3 * C, t * 3 * C + C), t * C);
    k.set(qkv.subarray(t * 3 * C + C, t * 3 * C + 2 * C), t * C);
    v.set(qkv.subarray(t * 3 * C + 2 * C, t * 3 * C + 3 * C), t * C);
  }
  const keys = appendHeads(pastK, k, P, T, H, D); // [H, S, D]
  const values = appendHeads(pastV, v, P, T, H, D); // [H, S, D]

  const scale = 1 / Math.sqrt(D);
  const probs = new Float32Array(H * T * S); // [H, T, S]
  const y = new Float32Array(T * C); // [T, H, D]
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const row = (h * T + t) * S;
      const visible = P + t + 1; // causal mask: token at absolute position P+t sees keys 0..P+t
      for (let s = 0; s < visible; s++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[(t * H + h) * D + d] * keys[(h * S + s) * D + d];
        probs[row + s] = dot * scale;
      }
      softmax(probs, row, visible); // masked scores are -inf, so their probabilities stay 0
      for (let d = 0; d < D; d++) {
        let sum = 0;
        for (let s = 0; s < visible; s++) sum += probs[row + s] * values[(h * S + s) * D + d];
        y[(t * H + h) * D + d] = sum;
      }
    }
  }
  return { y, probs, keys, values };
}

function addInPlace(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
}

// ---------------------------------------------------------------------------------------------

/**
 * Runs `tokens` through the model after the `past` tokens already in the cache.
 * Full recompute and incremental decoding give the same logits: forward(a ++ b) equals
 * forward(b, forward(a).cache) on b's rows.
 */
export function forward(config: GptConfig, weights: GptWeights, tokens: ArrayLike<number>, past: ReferenceKvCache = emptyCache(config)): ForwardResult {
  const { n_embd: C, n_head: H, vocab_size: V, layer_norm_epsilon: eps } = config;
  const T = tokens.length;
  const P = past.length;
  if (T === 0) throw new Error('forward: no tokens to run');
  if (P + T > config.n_positions) {
    throw new Error(`forward: ${P + T} tokens exceed the model's context of n_positions=${config.n_positions}`);
  }

  // Token + position embeddings.
  const x = new Float32Array(T * C); // [T, C]
  for (let t = 0; t < T; t++) {
    const id = tokens[t];
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`forward: token id ${id} is outside the vocabulary [0, ${V})`);
    for (let c = 0; c < C; c++) x[t * C + c] = weights.wte[id * C + c] + weights.wpe[(P + t) * C + c];
  }

  const attentions: Float32Array[] = [];
  const cache: ReferenceKvCache = { length: P + T, keys: [], values: [] };
  for (let l = 0; l < config.n_layer; l++) {
    const layer = weights.layers[l];
    // x = x + attn(ln_1(x))
    const h1 = layerNorm(x, layer.ln_1_weight, layer.ln_1_bias, T, C, eps);
    const attn = causalSelfAttention(h1, layer, past.keys[l], past.values[l], P, T, C, H);
    addInPlace(x, linear(attn.y, layer.attn_c_proj_weight, layer.attn_c_proj_bias, T, C, C));
    attentions.push(attn.probs);
    cache.keys.push(attn.keys);
    cache.values.push(attn.values);
    // x = x + mlp(ln_2(x))
    const h2 = layerNorm(x, layer.ln_2_weight, layer.ln_2_bias, T, C, eps);
    const hidden = gelu(linear(h2, layer.c_fc_weight, layer.c_fc_bias, T, C, 4 * C)); // [T, 4C]
    addInPlace(x, linear(hidden, layer.mlp_c_proj_weight, layer.mlp_c_proj_bias, T, 4 * C, C));
  }

  // Final layer norm, then the tied LM head: logits[t, v] = x[t] . wte[v].
  const xf = layerNorm(x, weights.ln_f_weight, weights.ln_f_bias, T, C, eps);
  const logits = new Float32Array(T * V); // [T, V]
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < V; v++) {
      let dot = 0;
      for (let c = 0; c < C; c++) dot += xf[t * C + c] * weights.wte[v * C + c];
      logits[t * V + v] = dot;
    }
  }
  return { logits, attentions, cache };
}

/** Index of the largest of the `n` values starting at `offset` (first one wins a tie). */
export function argmax(x: Float32Array, offset = 0, n = x.length - offset): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[offset + i] > x[offset + best]) best = i;
  return best;
}

/**
 * Greedy decoding with the KV cache: run the prompt once, then one token per step.
 * Stops after `maxNewTokens`, or after emitting eos_token_id unless `stopAtEos` is false
 * (the same rule as transformers.js `generate`). Returns only the new tokens.
 */
export function generateGreedy(
  config: GptConfig,
  weights: GptWeights,
  prompt: readonly number[],
  maxNewTokens: number,
  { stopAtEos = true }: { stopAtEos?: boolean } = {},
): number[] {
  const out: number[] = [];
  let step = forward(config, weights, prompt);
  let T = prompt.length;
  while (out.length < maxNewTokens) {
    const next = argmax(step.logits, (T - 1) * config.vocab_size, config.vocab_size);
    out.push(next);
    if ((stopAtEos && next === config.eos_token_id) || out.length === maxNewTokens) break;
    step = forward(config, weights, [next], step.cache);
    T = 1;
  }
  return out;
}
