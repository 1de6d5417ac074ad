/**
 * The copy model's counts: exact token n-grams over documents the user has open or edited.
 *
 * For the tokens before the next position (the context), the cache finds every earlier place in its
 * documents where the same tokens occur, takes the longest context length that occurs at all
 * (between MIN_MATCH_TOKENS and MAX_MATCH_TOKENS tokens, "backoff to the longest match"), and counts
 * the token that followed each occurrence of that length. The distribution is those counts over
 * their sum: a proper probability distribution whose support is only tokens that really followed
 * that context. Occurrences are found through an index on token pairs whose key is the pair itself
 * (`first * vocabSize + second`, an exact integer), and every candidate is compared token by token,
 * so no collision can ever make the cache predict a token it has not seen after that context.
 */

/** One matching context token says little (`(`, a space): the cache predicts only after two or more. */
export const MIN_MATCH_TOKENS = 2;
/** Longer matches change nothing in practice (the copy is already unambiguous) and cost comparisons. */
export const MAX_MATCH_TOKENS = 12;

/** Bytes counted per indexed token: the token and its entry in the position list (both Int32Array). */
const BYTES_PER_TOKEN = 8;
/** Bytes counted per distinct token pair: a Map entry (number -> number, with its hash bucket) and its slot start. */
const BYTES_PER_PAIR = 48;

/** A document's tokens with the positions that follow each token pair (compressed rows: one list for all pairs). */
export class TokenNgramIndex {
  readonly tokens: Int32Array;
  /** pair key -> slot; the slot's positions are positions[slotStart[slot] .. slotStart[slot + 1]). */
  private readonly slots = new Map<number, number>();
  private readonly slotStart: Int32Array;
  /** Positions p (2 <= p <= tokens.length) grouped by the pair tokens[p-2], tokens[p-1], ascending within a pair. */
  private readonly positions: Int32Array;

  constructor(
    tokens: readonly number[] | Int32Array,
    private readonly vocabSize: number,
  ) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 2 ** 26) throw new Error(`vocabSize must be an integer in 1..2^26, got ${vocabSize}`);
    this.tokens = Int32Array.from(tokens);
    for (const t of this.tokens) if (t < 0 || t >= vocabSize) throw new Error(`token id ${t} is outside the vocabulary (0..${vocabSize - 1})`);
    const n = this.tokens.length;
    const slotOf = new Int32Array(Math.max(0, n - 1));
    const counts: number[] = [];
    for (let p = 2; p <= n; p++) {
      const key = this.tokens[p - 2] * vocabSize + this.tokens[p - 1];
      let slot = this.slots.get(key);
      if (slot === undefined) {
        slot = counts.length;
        this.slots.set(key, slot);
        counts.push(0);
      }
      counts[slot]++;
      slotOf[p - 2] = slot;
    }
    this.slotStart = new Int32Array(counts.length + 1);
    for (let s = 0; s < counts.length; s++) this.slotStart[s + 1] = this.slotStart[s] + counts[s];
    this.positions = new Int32Array(slotOf.length);
    const fill = this.slotStart.slice(0, counts.length);
    for (let p = 2; p <= n; p++) this.positions[fill[slotOf[p - 2]]++] = p;
  }

  /** Memory this index holds, bytes (an upper estimate; the unit tests hold the store to its cap with it). */
  get memoryBytes(): number {
    return this.tokens.length * BYTES_PER_TOKEN + this.slots.size * BYTES_PER_PAIR;
  }

  /**
   * Calls `visit(matchLength, nextToken)` for each occurrence of the context's last two tokens that
   * has a next token, with the number of context tokens (up to `maxMatch`) that match there.
   */
  visitMatches(context: readonly number[], maxMatch: number, visit: (matchLength: number, next: number) => void): void {
    const n = context.length;
    if (n < 2) return;
    const a = context[n - 2];
    const b = context[n - 1];
    if (a < 0 || b < 0 || a >= this.vocabSize || b >= this.vocabSize) return;
    const slot = this.slots.get(a * this.vocabSize + b);
    if (slot === undefined) return;
    const limit = Math.min(maxMatch, n);
    for (let i = this.slotStart[slot]; i < this.slotStart[slot + 1]; i++) {
      const p = this.positions[i];
      if (p >= this.tokens.length) continue; // the document ends there: nothing followed
      let length = 2;
      while (length < limit && p - length - 1 >= 0 && this.tokens[p - length - 1] === context[n - length - 1]) length++;
      visit(length, this.tokens[p]);
    }
  }
}

/** The cache's prediction for one position. */
export interface CacheDistribution {
  /** Context tokens matched (the n-gram order minus one). */
  matchTokens: number;
  /** Occurrences of that context with a next token: the denominator. */
  occurrences: number;
  /** Next token -> times it followed the matched context (sums to `occurrences`). */
  counts: Map<number, number>;
}

/** The distribution after `context` over all `indexes`, or null when no context of MIN_MATCH_TOKENS occurs. */
export function cacheDistribution(indexes: readonly TokenNgramIndex[], context: readonly number[], maxMatch = MAX_MATCH_TOKENS): CacheDistribution | null {
  let best = 0;
  let counts = new Map<number, number>();
  let occurrences = 0;
  for (const index of indexes) {
    index.visitMatches(context, maxMatch, (length, next) => {
      if (length < best) return;
      if (length > best) {
        best = length;
        counts = new Map();
        occurrences = 0;
      }
      counts.set(next, (counts.get(next) ?? 0) + 1);
      occurrences++;
    });
  }
  return best >= MIN_MATCH_TOKENS ? { matchTokens: best, occurrences, counts } : null;
}
