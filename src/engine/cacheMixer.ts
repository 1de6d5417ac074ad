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
 * after the same tokens. The row gets logits whose softmax is p, so the sampler's temperature, top-k
 * and top-p act on the mixture as they would on the model alone.
 */
import { cacheDistribution, MAX_MATCH_TOKENS, type CacheDistribution, type NgramSource } from './ngramCache';

interface MixParams {
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

interface MixOutcome {
  weight: number;
  entropy: number;
  matchTokens: number;
}

/**
 * Replaces `row` (logits, [vocab]) by logits of the mixture with `dist` (their softmax is the
 * mixture). Returns what was mixed. The mixture scales every model probability by 1 − λ, a common
 * factor softmax does not see, so only the tokens the cache names change: for those,
 * log(((1 − λ)·s + λ·q) / (1 − λ)) + logsumexp(row), with s the model's probability and q the
 * cache's. One exp per vocabulary entry (for the entropy) and none of the logs a full rewrite of the
 * row would take: this runs once per generated token.
 */
export function mixIntoLogits(row: Float32Array, dist: CacheDistribution, params: MixParams = DEFAULT_MIX_PARAMS): MixOutcome {
  let max = -Infinity;
  for (const v of row) if (v > max) max = v;
  if (max === -Infinity) throw new Error('every logit is -Infinity: nothing to mix');
  // Σ e^(x − max) and Σ e^(x − max)·(x − max): the entropy is log Σ − (Σ e·(x − max)) / Σ.
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < row.length; i++) {
    const shifted = row[i] - max;
    if (shifted === -Infinity) continue;
    const e = Math.exp(shifted);
    sum += e;
    weighted += e * shifted;
  }
  const logSum = Math.log(sum);
  const entropy = Math.max(0, logSum - weighted / sum);
  const weight = cacheWeight(entropy, dist.matchTokens, params);
  const outcome = { weight, entropy, matchTokens: dist.matchTokens };
  if (weight === 0) return outcome;
  const logsumexp = max + logSum;
  if (weight >= 1) {
    // The cache alone: the model's tokens get nothing.
    row.fill(-Infinity);
    for (const [id, count] of dist.counts) if (id < row.length) row[id] = Math.log(count / dist.occurrences);
    return outcome;
  }
  for (const [id, count] of dist.counts) {
    if (id >= row.length) continue;
    const s = Math.exp(row[id] - logsumexp); // 0 for a token the model masked
    row[id] = Math.log(((1 - weight) * s + (weight * count) / dist.occurrences) / (1 - weight)) + logsumexp;
  }
  return outcome;
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
