/**
 * Random GPT-2 weights for tests and benchmarks: deterministic for a seed, generated straight
 * into the Float32Arrays of `GptWeights` (GPT-2 small, 124M values, is ~0.5 GB and a couple of seconds).
 *
 * Init follows GPT-2 / nanoGPT: linear and embedding weights ~ N(0, std), residual projections
 * (attn.c_proj, mlp.c_proj) ~ N(0, std / sqrt(2 n_layer)). Unlike a fresh GPT-2, biases are
 * N(0, std) and LayerNorm weights 1 + N(0, 0.1), so a test notices a missing bias or LN weight.
 */
import { GptConfig } from './config';
import { GptWeights, tensorLayout } from './weights';

interface RandomModelOptions {
  /** Standard deviation of weights and biases. GPT-2 uses 0.02; tests use more (0.1-0.3) so
   *  attention is peaked and logits spread out, which makes wiring mistakes visible. */
  std?: number;
}

/** sfc32: small, fast, good-quality 32-bit PRNG with a 128-bit state (from PractRand). */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296; // [0, 1)
  };
  for (let i = 0; i < 12; i++) next(); // mix the seed in
  return next;
}

/** Fills `out` with N(mean, std) samples (Box-Muller, two per pair of uniforms). */
function fillNormal(out: Float32Array, rand: () => number, mean: number, std: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - rand(); // (0, 1], so log(u) is finite
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const theta = 2 * Math.PI * rand();
    out[i] = mean + r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(theta);
  }
}

export function randomModel(config: GptConfig, seed: number, { std = 0.02 }: RandomModelOptions = {}): GptWeights {
  const rand = prng(seed);
  const weights = { layers: Array.from({ length: config.n_layer }, () => ({})) } as GptWeights;
  const residualStd = std / Math.sqrt(2 * config.n_layer);
  for (const t of tensorLayout(config)) {
    const data = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    if (/ln_(1|2|f)\.weight$/.test(t.name)) fillNormal(data, rand, 1, 0.1);
    else if (/c_proj\.weight$/.test(t.name)) fillNormal(data, rand, 0, residualStd);
    else fillNormal(data, rand, 0, std);
    t.set(weights, data);
  }
  return weights;
}
