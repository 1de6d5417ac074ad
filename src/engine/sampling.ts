/**
 * Next-token selection: composable logits processors (temperature, top-k, top-p) in the style of
 * transformers.js `generation/logits_process.js`, then greedy argmax or a seeded random draw.
 *
 * Logits are one row `[vocab]` of the model output. Processors work in place; a token is removed
 * from the candidates by setting its logit to -Infinity. Top-k and top-p never sort the whole
 * vocabulary: top-k keeps a k-sized min-heap (O(V log k)), top-p pops a max-heap (O(V + m log V)
 * for a nucleus of m tokens).
 */
import type { GenerationOptions } from './protocol';

interface LogitsProcessor {
  readonly name: string;
  /** Edits `logits` [vocab] in place. */
  apply(logits: Float32Array): void;
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). Same seed, same sequence, on every platform. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Divides logits by `t` (> 0): below 1 sharpens the distribution, above 1 flattens it. */
export function temperatureProcessor(t: number): LogitsProcessor {
  if (!(t > 0)) throw new Error(`temperature must be > 0, got ${t}`);
  return {
    name: `temperature(${t})`,
    apply(logits) {
      if (t === 1) return;
      for (let i = 0; i < logits.length; i++) logits[i] /= t;
    },
  };
}

/** Is token a ranked above token b? Higher logit first; on a tie the lower id wins (deterministic). */
function above(logits: Float32Array, a: number, b: number): boolean {
  return logits[a] > logits[b] || (logits[a] === logits[b] && a < b);
}

/** Binary heap of token ids; `first(a, b)` true when a belongs nearer the root. */
class TokenHeap {
  readonly items: number[] = [];
  constructor(private readonly first: (a: number, b: number) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  peek(): number {
    return this.items[0];
  }
  push(x: number): void {
    const h = this.items;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.first(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): number {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
    return top;
  }
  replaceTop(x: number): void {
    this.items[0] = x;
    this.siftDown(0);
  }
  /** Builds the heap from `xs` in O(n). */
  heapify(xs: number[]): void {
    this.items.length = 0;
    this.items.push(...xs);
    for (let i = (xs.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }
  private siftDown(i: number): void {
    const h = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < h.length && this.first(h[l], h[best])) best = l;
      if (r < h.length && this.first(h[r], h[best])) best = r;
      if (best === i) return;
      [h[i], h[best]] = [h[best], h[i]];
      i = best;
    }
  }
}

/** The k best token ids, best first, without sorting the vocabulary. */
export function topKIndices(logits: Float32Array, k: number): number[] {
  const n = Math.min(k, logits.length);
  if (n <= 0) return [];
  // Min-heap of the best n seen so far: its root is the weakest survivor.
  const heap = new TokenHeap((a, b) => above(logits, b, a));
  for (let i = 0; i < logits.length; i++) {
    if (heap.size < n) heap.push(i);
    else if (above(logits, i, heap.peek())) heap.replaceTop(i);
  }
  return heap.items.sort((a, b) => (above(logits, a, b) ? -1 : 1));
}

/** Keeps the k most likely tokens. */
export function topKProcessor(k: number): LogitsProcessor {
  if (!Number.isInteger(k) || k < 1) throw new Error(`top-k must be a positive integer, got ${k}`);
  return {
    name: `topK(${k})`,
    apply(logits) {
      if (k >= logits.length) return;
      const keep = new Uint8Array(logits.length);
      for (const i of topKIndices(logits, k)) keep[i] = 1;
      for (let i = 0; i < logits.length; i++) if (!keep[i]) logits[i] = -Infinity;
    },
  };
}

/** Keeps the smallest set of most likely tokens whose probabilities add up to at least p. */
export function topPProcessor(p: number): LogitsProcessor {
  if (!(p > 0 && p <= 1)) throw new Error(`top-p must be in (0, 1], got ${p}`);
  return {
    name: `topP(${p})`,
    apply(logits) {
      if (p >= 1) return;
      const candidates: number[] = [];
      let max = -Infinity;
      for (let i = 0; i < logits.length; i++) {
        if (logits[i] === -Infinity) continue;
        candidates.push(i);
        if (logits[i] > max) max = logits[i];
      }
      let total = 0;
      for (const i of candidates) total += Math.exp(logits[i] - max);
      const heap = new TokenHeap((a, b) => above(logits, a, b));
      heap.heapify(candidates);
      const keep = new Uint8Array(logits.length);
      let mass = 0;
      while (heap.size > 0 && mass < p * total) {
        const i = heap.pop();
        keep[i] = 1;
        mass += Math.exp(logits[i] - max);
      }
      for (let i = 0; i < logits.length; i++) if (!keep[i]) logits[i] = -Infinity;
    },
  };
}

/**
 * The processor chain for the options, in transformers.js order; empty for greedy decoding. topP 0 is
 * greedy too: the smallest set of tokens holding at least 0 of the mass is the most likely token alone.
 */
export function processorsFor(options: Pick<GenerationOptions, 'temperature' | 'topK' | 'topP'>): LogitsProcessor[] {
  if (options.temperature <= 0 || options.topP <= 0) return [];
  const chain = [temperatureProcessor(options.temperature)];
  if (options.topK > 0) chain.push(topKProcessor(options.topK));
  if (options.topP > 0 && options.topP < 1) chain.push(topPProcessor(options.topP));
  return chain;
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Draws a token from softmax(logits) using `random()` in [0, 1). Masked (-Infinity) tokens never come out. */
export function sampleFromLogits(logits: Float32Array, random: () => number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  let r = random() * total;
  let last = 0;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] === -Infinity) continue;
    last = i;
    r -= Math.exp(logits[i] - max);
    if (r < 0) return i;
  }
  return last; // rounding left a sliver: the last candidate takes it
}

/**
 * Picks the token at sequence `position` from the logits row before it. The random draw depends on
 * the seed and the position only, not on how many draws came before: a request that starts later
 * in the same text (the user typed the start of the suggestion) draws what the earlier one drew at
 * the same positions, so the rest of the suggestion stays as it was shown.
 */
type TokenSelector = (logits: Float32Array, position: number) => number;

/** An integer hash of (seed, position) (murmur3's finalizer over a golden-ratio mix). */
export function positionSeed(seed: number, position: number): number {
  let h = (seed ^ Math.imul(position + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function createTokenSelector(options: Pick<GenerationOptions, 'temperature' | 'topK' | 'topP' | 'seed'>): TokenSelector {
  const chain = processorsFor(options);
  if (chain.length === 0) return (logits) => argmax(logits);
  return (logits, position) => {
    const random = createRng(positionSeed(options.seed, position));
    if (options.topK > 0 && options.topK < logits.length) return sampleTopK(logits, options, random);
    for (const processor of chain) processor.apply(logits);
    return sampleFromLogits(logits, random);
  };
}

/**
 * The processor chain + `sampleFromLogits` when top-k is on, computed on the k candidates only:
 * the same float32 values, sums in the same order and the same draw, so the same token, without
 * passes over the whole vocabulary after the top-k scan (its cost per token: BENCHMARKS.md, "sample
 * ms/token").
 */
function sampleTopK(logits: Float32Array, options: Pick<GenerationOptions, 'temperature' | 'topK' | 'topP'>, random: () => number): number {
  const t = options.temperature;
  // Dividing by t > 0 keeps the order, so the k best of the raw row are the k best after temperature.
  const best = topKIndices(logits, options.topK);
  const scaled = new Map<number, number>();
  for (const i of best) scaled.set(i, t === 1 ? logits[i] : Math.fround(logits[i] / t));
  // Rounding to float32 can tie two scaled values: rank as the chain does, on the scaled row.
  best.sort((a, b) => (scaled.get(a)! > scaled.get(b)! || (scaled.get(a) === scaled.get(b) && a < b) ? -1 : 1));
  let kept = best;
  if (options.topP > 0 && options.topP < 1) {
    // topPProcessor: total over the candidates in id order, then the most likely first until the mass is reached.
    const byId = [...best].sort((a, b) => a - b);
    let max = -Infinity;
    for (const i of byId) max = Math.max(max, scaled.get(i)!);
    let total = 0;
    for (const i of byId) total += Math.exp(scaled.get(i)! - max);
    let mass = 0;
    let n = 0;
    while (n < best.length && mass < options.topP * total) mass += Math.exp(scaled.get(best[n++])! - max);
    kept = best.slice(0, n);
  }
  // sampleFromLogits over the kept tokens, in id order (the others are -Infinity and add exactly 0).
  const ids = [...kept].sort((a, b) => a - b);
  let max = -Infinity;
  for (const i of ids) max = Math.max(max, scaled.get(i)!);
  let total = 0;
  for (const i of ids) total += Math.exp(scaled.get(i)! - max);
  let r = random() * total;
  for (const i of ids) {
    r -= Math.exp(scaled.get(i)! - max);
    if (r < 0) return i;
  }
  return ids[ids.length - 1];
}
