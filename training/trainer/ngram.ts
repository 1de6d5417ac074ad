/**
 * Token n-gram baseline for `npm run eval`: interpolated absolute discounting (the Kneser-Ney
 * recursion with raw lower-order counts), order 4 by default:
 *
 *   P_n(w | ctx) = max(c(ctx w) - d, 0) / c(ctx) + d * N1+(ctx .) / c(ctx) * P_{n-1}(w | ctx[1:])
 *   P_n(w | ctx) = P_{n-1}(w | ctx[1:])                       when c(ctx) = 0
 *   P_1(w)       = (c(w) + 1) / (N + V)                        (add-one unigram, never zero)
 *
 * It is a proper distribution, so its loss and bits per byte compare with the GPT's.
 * Storage: per order, the distinct n-grams as sorted float64 keys (ids in base V, exact below
 * 2^53: V^4 fits for V <= 9741) with counts; followers of a context are one contiguous range.
 */

interface OrderTable {
  keys: Float64Array; // sorted distinct n-gram keys
  counts: Uint32Array;
  ctxKeys: Float64Array; // sorted distinct contexts (the first n-1 tokens)
  ctxTotal: Float64Array; // c(ctx)
  ctxStart: Uint32Array; // first index in keys with this context
  ctxTypes: Uint32Array; // N1+(ctx .) = distinct followers
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function find(a: Float64Array, x: number): number {
  const i = lowerBound(a, x);
  return i < a.length && a[i] === x ? i : -1;
}

export class NGramModel {
  readonly order: number;
  readonly vocabSize: number;
  readonly discount: number;
  private readonly unigram: Float64Array; // P_1
  private readonly tables: OrderTable[] = []; // index n-2 for order n >= 2
  private readonly topUnigram: number;

  private constructor(order: number, vocabSize: number, discount: number, unigram: Float64Array) {
    this.order = order;
    this.vocabSize = vocabSize;
    this.discount = discount;
    this.unigram = unigram;
    let best = 0;
    for (let i = 1; i < vocabSize; i++) if (unigram[i] > unigram[best]) best = i;
    this.topUnigram = best;
  }

  static train(tokens: Uint16Array, vocabSize: number, order = 4, discount = 0.75): NGramModel {
    if (vocabSize ** order >= 2 ** 53) throw new Error(`ngram: vocab ${vocabSize} ^ order ${order} does not fit exact float64 keys`);
    const N = tokens.length;
    const counts1 = new Float64Array(vocabSize);
    for (let i = 0; i < N; i++) counts1[tokens[i]]++;
    const unigram = counts1.map((c) => (c + 1) / (N + vocabSize));
    const model = new NGramModel(order, vocabSize, discount, unigram);
    for (let n = 2; n <= order; n++) {
      const M = N - n + 1;
      if (M <= 0) break;
      const keys = new Float64Array(M);
      for (let i = 0; i < M; i++) {
        let k = 0;
        for (let j = 0; j < n; j++) k = k * vocabSize + tokens[i + j];
        keys[i] = k;
      }
      keys.sort();
      // distinct keys with counts
      let distinct = 0;
      for (let i = 0; i < M; i++) if (i === 0 || keys[i] !== keys[i - 1]) distinct++;
      const uk = new Float64Array(distinct);
      const uc = new Uint32Array(distinct);
      let u = -1;
      for (let i = 0; i < M; i++) {
        if (i === 0 || keys[i] !== keys[i - 1]) uk[++u] = keys[i];
        uc[u]++;
      }
      // contexts: floor(key / V) is non-decreasing along the sorted keys
      let nctx = 0;
      let prev = -1;
      for (let i = 0; i < distinct; i++) {
        const c = Math.floor(uk[i] / vocabSize);
        if (c !== prev) nctx++;
        prev = c;
      }
      const ctxKeys = new Float64Array(nctx);
      const ctxTotal = new Float64Array(nctx);
      const ctxStart = new Uint32Array(nctx);
      const ctxTypes = new Uint32Array(nctx);
      let ci = -1;
      prev = -1;
      for (let i = 0; i < distinct; i++) {
        const c = Math.floor(uk[i] / vocabSize);
        if (c !== prev) {
          ctxKeys[++ci] = c;
          ctxStart[ci] = i;
        }
        prev = c;
        ctxTotal[ci] += uc[i];
        ctxTypes[ci]++;
      }
      model.tables.push({ keys: uk, counts: uc, ctxKeys, ctxTotal, ctxStart, ctxTypes });
    }
    return model;
  }

  /**
   * The tables of the contexts `context` ends with that were seen in training, shortest first
   * (order 2 up to the longest context available): the table, the context key and its index.
   */
  private *seenContexts(context: ArrayLike<number>): Generator<{ t: OrderTable; ctx: number; ci: number }> {
    const maxCtx = Math.min(this.order - 1, context.length);
    for (let len = 1; len <= maxCtx; len++) {
      const t = this.tables[len - 1];
      if (!t) return;
      let ctx = 0;
      for (let j = context.length - len; j < context.length; j++) ctx = ctx * this.vocabSize + context[j];
      const ci = find(t.ctxKeys, ctx);
      if (ci >= 0) yield { t, ctx, ci }; // an unseen context keeps the lower-order estimate
    }
  }

  /** P(w | context), using the last order-1 tokens of `context`. */
  prob(context: ArrayLike<number>, w: number): number {
    let p = this.unigram[w];
    const V = this.vocabSize;
    for (const { t, ctx, ci } of this.seenContexts(context)) {
      const total = t.ctxTotal[ci];
      const ki = find(t.keys, ctx * V + w);
      const c = ki >= 0 ? t.counts[ki] : 0;
      p = Math.max(c - this.discount, 0) / total + ((this.discount * t.ctxTypes[ci]) / total) * p;
    }
    return p;
  }

  /** The most probable next token (exact: only followers of some context can beat the top unigram). */
  argmax(context: ArrayLike<number>): number {
    const V = this.vocabSize;
    const candidates = new Set<number>([this.topUnigram]);
    for (const { t, ctx, ci } of this.seenContexts(context)) {
      for (let i = t.ctxStart[ci]; i < t.ctxStart[ci] + t.ctxTypes[ci]; i++) candidates.add(t.keys[i] - ctx * V);
    }
    let best = -1;
    let bestP = -1;
    for (const w of candidates) {
      const p = this.prob(context, w);
      if (p > bestP || (p === bestP && w < best)) {
        best = w;
        bestP = p;
      }
    }
    return best;
  }
}
