/**
 * Mixes the copy model (src/engine/ngramCache.ts) into the GPT's next-token distribution inside the
 * generation loop:
 *
 *   p(w) = (1 - λ) · softmax(logits)(w) + λ · count(context, w) / count(context)
 *
 * Both terms are distributions over the vocabulary, so p is one too. The weight λ grows with the
 * model's own uncertainty (its entropy H, in nats, at temperature 1) and with the length m of the
 * matched context:
 *
 *   λ = maxWeight · (1 − e^(−H / entropyScale)) · m / (m + matchHalf)
 *
 * A confident model (H near 0) is left as it is; an unsure one leans on what the workspace shows
 * after the same tokens. The row gets log p back, so the sampler's temperature, top-k and top-p
 * act on the mixture as they would on the model alone.
 */
import { cacheDistribution, MAX_MATCH_TOKENS, type CacheDistribution, type NgramSource } from './ngramCache';

export interface MixParams {
  /** λ's ceiling: the model always keeps at least 1 − maxWeight of the mass. */
  maxWeight: number;
  /** Entropy at which the uncertainty factor reaches 1 − 1/e, nats. */
  entropyScale: number;
  /** Matched context length at which the match factor is 1/2, tokens. */
  matchHalf: number;
}

export const DEFAULT_MIX_PARAMS: MixParams = { maxWeight: 0.8, entropyScale: 1, matchHalf: 2 };

export function cacheWeight(entropy: number, matchTokens: number, params: MixParams = DEFAULT_MIX_PARAMS): number {
  return params.maxWeight * (1 - Math.exp(-Math.max(0, entropy) / params.entropyScale)) * (matchTokens / (matchTokens + params.matchHalf));
}

/** Softmax of `row` in place (masked -Infinity entries become 0); returns its entropy, nats. */
export function softmaxInPlace(row: Float32Array | Float64Array): number {
  let max = -Infinity;
  for (const v of row) if (v > max) max = v;
  if (max === -Infinity) throw new Error('every logit is -Infinity: nothing to mix');
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const e = Math.exp(row[i] - max);
    row[i] = e;
    sum += e;
  }
  let entropy = 0;
  for (let i = 0; i < row.length; i++) {
    const p = row[i] / sum;
    row[i] = p;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return entropy;
}

export interface MixOutcome {
  weight: number;
  entropy: number;
  matchTokens: number;
}

/**
 * Replaces `row` (logits, [vocab]) by the log of the mixture with `dist`. Returns what was mixed.
 * Works in float64, so the mixture's probabilities sum to 1 up to rounding of the final float32 logs.
 */
export function mixIntoLogits(row: Float32Array, dist: CacheDistribution, params: MixParams = DEFAULT_MIX_PARAMS): MixOutcome {
  const p = Float64Array.from(row);
  const entropy = softmaxInPlace(p);
  const weight = cacheWeight(entropy, dist.matchTokens, params);
  for (let i = 0; i < p.length; i++) p[i] *= 1 - weight;
  for (const [id, count] of dist.counts) if (id < p.length) p[id] += (weight * count) / dist.occurrences;
  for (let i = 0; i < p.length; i++) row[i] = p[i] > 0 ? Math.log(p[i]) : -Infinity;
  return { weight, entropy, matchTokens: dist.matchTokens };
}

/** The hook the generation loop calls on each row before sampling (`sequence`: prompt + generated ids so far). */
export type LogitsMixer = (row: Float32Array, sequence: readonly number[]) => void;

/** A mixer over `indexes` (null when there is nothing to mix with). Positions with no match keep the model's row untouched. */
export function cacheMixer(indexes: readonly NgramSource[], params: MixParams = DEFAULT_MIX_PARAMS): LogitsMixer | null {
  if (indexes.length === 0) return null;
  return (row, sequence) => {
    const dist = cacheDistribution(indexes, sequence.slice(-MAX_MATCH_TOKENS));
    if (dist) mixIntoLogits(row, dist, params);
  };
}
