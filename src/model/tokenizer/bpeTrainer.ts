import type { BpeModel } from './bpeModel';
import { BYTE_TO_UNICODE, utf8Bytes } from './byteLevel';
import { ID_LIMIT } from './bpeTokenizer';
import { preTokenize } from './preTokenize';
import { FIRST_BYTE_ID, SPECIAL_TOKENS } from './specialTokens';

export interface TrainBpeOptions {
  /** Final vocabulary size including the special and the 256 byte tokens. */
  vocabSize: number;
  /** Stop early when the most frequent pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Called every few hundred merges. */
  onProgress?: (vocabSize: number, targetVocabSize: number) => void;
}

/** Counts pre-tokens ("words") over all texts. Special-token strings in the texts are ordinary text. */
export function countWords(texts: Iterable<string>, counts = new Map<string, number>()): Map<string, number> {
  for (const text of texts) {
    for (const word of preTokenize(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** Trains byte-level BPE on `texts`. See trainBpeOnWordCounts. */
export function trainBpe(texts: Iterable<string>, options: TrainBpeOptions): BpeModel {
  return trainBpeOnWordCounts(countWords(texts), options);
}

/**
 * Learns merges from word counts. Each distinct word is stored once with its count; pair counts and an index
 * from pair to the words containing it are updated incrementally, so a merge only touches the words that
 * contain its pair. Ties between equally frequent pairs go to the smaller (left id, right id), which makes
 * the result deterministic for a given input order.
 */
export function trainBpeOnWordCounts(wordCounts: ReadonlyMap<string, number>, options: TrainBpeOptions): BpeModel {
  const { vocabSize, minFrequency = 2, onProgress } = options;
  const baseSize = FIRST_BYTE_ID + 256;
  if (!Number.isInteger(vocabSize) || vocabSize < baseSize || vocabSize > ID_LIMIT) {
    throw new Error(`vocabSize must be an integer from ${baseSize} to ${ID_LIMIT}, got ${vocabSize}`);
  }
  const vocab: string[] = [...SPECIAL_TOKENS, ...BYTE_TO_UNICODE];
  const tokenIds = new Map<string, number>();
  vocab.forEach((token, id) => tokenIds.set(token, id));
  const specials = new Set(SPECIAL_TOKENS);
  const merges: Array<[number, number]> = [];

  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    const bytes = utf8Bytes(word);
    if (bytes.length < 2) continue; // nothing to merge
    words.push(Array.from(bytes, (b) => FIRST_BYTE_ID + b));
    counts.push(count);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const noteWord = (pair: number, w: number): void => {
    const list = pairWords.get(pair);
    if (list === undefined) pairWords.set(pair, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  words.forEach((symbols, w) => {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const pair = symbols[i] * ID_LIMIT + symbols[i + 1];
      pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + counts[w]);
      noteWord(pair, w);
    }
  });

  const queue = new PairQueue();
  for (const [pair, count] of pairCounts) if (count >= minFrequency) queue.push(count, pair);

  const delta = new Map<number, number>();
  while (vocab.length < vocabSize && queue.size > 0) {
    const { count, pair } = queue.pop();
    const current = pairCounts.get(pair) ?? 0;
    if (current !== count) {
      // Stale entry. A larger current count has its own entry (pushed when it grew); a smaller one needs one.
      if (current < count && current >= minFrequency) queue.push(current, pair);
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(pair / ID_LIMIT);
    const b = pair % ID_LIMIT;
    const mergedToken = vocab[a] + vocab[b];
    pairCounts.delete(pair);
    // A merge must never spell a special token, or plain text could produce a special id.
    if (specials.has(mergedToken)) continue;
    let merged = tokenIds.get(mergedToken);
    if (merged === undefined) {
      merged = vocab.length;
      vocab.push(mergedToken);
      tokenIds.set(mergedToken, merged);
    }
    merges.push([a, b]);

    delta.clear();
    for (const w of pairWords.get(pair) ?? []) {
      const symbols = words[w];
      const replaced = replacePair(symbols, a, b, merged);
      if (replaced === symbols) continue; // listed for a pair an earlier merge already consumed
      const c = counts[w];
      for (let i = 0; i + 1 < symbols.length; i++) {
        const p = symbols[i] * ID_LIMIT + symbols[i + 1];
        delta.set(p, (delta.get(p) ?? 0) - c);
      }
      for (let i = 0; i + 1 < replaced.length; i++) {
        const p = replaced[i] * ID_LIMIT + replaced[i + 1];
        delta.set(p, (delta.get(p) ?? 0) + c);
        if (replaced[i] === merged || replaced[i + 1] === merged) noteWord(p, w);
      }
      words[w] = replaced;
    }
    pairWords.delete(pair);
    for (const [p, d] of delta) {
      if (d === 0 || p === pair) continue;
      const updated = (pairCounts.get(p) ?? 0) + d;
      if (updated > 0) pairCounts.set(p, updated);
      else pairCounts.delete(p);
      if (d > 0 && updated >= minFrequency) queue.push(updated, p);
    }
    if (onProgress !== undefined && merges.length % 500 === 0) onProgress(vocab.length, vocabSize);
  }
  return { vocab, merges, specialIds: SPECIAL_TOKENS.map((_, id) => id) };
}

/** `symbols` with every non-overlapping (a, b), scanned left to right, replaced by `merged`; same array if none. */
function replacePair(symbols: number[], a: number, b: number, merged: number): number[] {
  let first = -1;
  for (let i = 0; i + 1 < symbols.length; i++) {
    if (symbols[i] === a && symbols[i + 1] === b) {
      first = i;
      break;
    }
  }
  if (first < 0) return symbols;
  const out = symbols.slice(0, first);
  for (let i = first; i < symbols.length; ) {
    if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
      out.push(merged);
      i += 2;
    } else {
      out.push(symbols[i]);
      i += 1;
    }
  }
  return out;
}

/** Max-heap of (count, pair): highest count first, then the smaller pair key. Entries may be stale. */
class PairQueue {
  private readonly counts: number[] = [];
  private readonly pairs: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i];
    const cj = this.counts[j];
    return ci > cj || (ci === cj && this.pairs[i] < this.pairs[j]);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i];
    this.counts[i] = this.counts[j];
    this.counts[j] = c;
    const p = this.pairs[i];
    this.pairs[i] = this.pairs[j];
    this.pairs[j] = p;
  }

  push(count: number, pair: number): void {
    this.counts.push(count);
    this.pairs.push(pair);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Callers check size first. */
  pop(): { count: number; pair: number } {
    const top = { count: this.counts[0], pair: this.pairs[0] };
    const lastCount = this.counts.pop() as number;
    const lastPair = this.pairs.pop() as number;
    const n = this.counts.length;
    if (n > 0) {
      this.counts[0] = lastCount;
      this.pairs[0] = lastPair;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        let best = i;
        if (this.before(left, best)) best = left;
        if (right < n && this.before(right, best)) best = right;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}
