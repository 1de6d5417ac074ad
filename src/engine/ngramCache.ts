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

/** Bytes counted per indexed token: the token, its entry in the position list and its end offset (Int32Arrays). */
const BYTES_PER_TOKEN = 12;
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

  /**
   * `tokenEnds[i]`: the character offset in the document where token i ends (tokenEndOffsets); with
   * it, `visitMatches` can leave out the occurrence at the cursor.
   */
  constructor(
    tokens: readonly number[] | Int32Array,
    private readonly vocabSize: number,
    private readonly tokenEnds: Int32Array | null = null,
  ) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 2 ** 26) throw new Error(`vocabSize must be an integer in 1..2^26, got ${vocabSize}`);
    this.tokens = Int32Array.from(tokens);
    if (tokenEnds && tokenEnds.length !== this.tokens.length) throw new Error(`tokenEnds has ${tokenEnds.length} offsets for ${this.tokens.length} tokens`);
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
   *
   * `cursor` (a character offset; needs `tokenEnds`): occurrences whose matched context starts before
   * it and whose next token ends after it are left out. In the document being completed, the context
   * at the cursor is the prompt itself, and what follows it there is the text after the cursor (the
   * line break of a line not typed yet, the next line): counting it would have the model write the
   * suffix instead of the missing text.
   */
  visitMatches(context: readonly number[], maxMatch: number, visit: (matchLength: number, next: number) => void, cursor?: number): void {
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
      if (cursor !== undefined && this.spansCursor(p - length, p, cursor)) continue;
      visit(length, this.tokens[p]);
    }
  }

  /** Whether tokens first..last (inclusive) start before `cursor` and end after it. */
  private spansCursor(first: number, last: number, cursor: number): boolean {
    const ends = this.tokenEnds;
    if (!ends) return false;
    const start = first === 0 ? 0 : ends[first - 1];
    return start < cursor && ends[last] > cursor;
  }

  /** This index with the occurrence at `cursor` left out (see `visitMatches`): the document being completed. */
  atCursor(cursor: number): NgramSource {
    return { visitMatches: (context, maxMatch, visit) => this.visitMatches(context, maxMatch, visit, cursor) };
  }
}

/** What `cacheDistribution` counts over: an index, or an index seen from a cursor in it. */
export interface NgramSource {
  visitMatches(context: readonly number[], maxMatch: number, visit: (matchLength: number, next: number) => void): void;
}

/**
 * The character offset in `text` where each token of `ids` (its tokenization) ends, from the text of
 * each token (`texts[id]`). A token that is part of a multi-byte character (its text holds U+FFFD)
 * ends where its whole characters do; the next whole token finds its place a few characters on.
 */
export function tokenEndOffsets(text: string, ids: readonly number[] | Int32Array, texts: (id: number) => string): Int32Array {
  const ends = new Int32Array(ids.length);
  let pos = 0;
  for (let i = 0; i < ids.length; i++) {
    const t = texts(ids[i]);
    const first = t.indexOf('\uFFFD');
    if (first < 0) {
      pos = placeAfter(text, t, pos, t.length);
    } else {
      // Whole characters before the partial bytes are at `pos`; those after them, a character or two on.
      if (text.startsWith(t.slice(0, first), pos)) pos += first;
      const tail = t.slice(t.lastIndexOf('\uFFFD') + 1);
      if (tail !== '') pos = placeAfter(text, tail, pos, 0);
    }
    pos = Math.min(pos, text.length);
    ends[i] = pos;
  }
  return ends;
}

/** How far ahead a whole token may find its place after the bytes of a multi-byte character, characters. */
const RESYNC_CHARS = 8;

/** The offset after `piece` where it occurs at or a little after `pos`; `pos + fallback` when it does not. */
function placeAfter(text: string, piece: string, pos: number, fallback: number): number {
  if (text.startsWith(piece, pos)) return pos + piece.length;
  const at = text.indexOf(piece, pos);
  return at >= 0 && at - pos <= RESYNC_CHARS ? at + piece.length : pos + fallback;
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
export function cacheDistribution(indexes: readonly NgramSource[], context: readonly number[], maxMatch = MAX_MATCH_TOKENS): CacheDistribution | null {
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
