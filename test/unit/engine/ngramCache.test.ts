import { strict as assert } from 'node:assert';
import { cacheDistribution, MAX_MATCH_TOKENS, MIN_MATCH_TOKENS, TokenNgramIndex, tokenEndOffsets, type CacheDistribution } from '../../../src/engine/ngramCache';

/** The definition, written the slow way: longest matching context (2..max tokens), counts of what followed. */
function bruteForce(docs: number[][], context: number[], maxMatch = MAX_MATCH_TOKENS): CacheDistribution | null {
  let best = 0;
  const found: { length: number; next: number }[] = [];
  for (const doc of docs) {
    for (let p = 0; p < doc.length; p++) {
      let length = 0;
      while (length < Math.min(maxMatch, context.length) && p - length - 1 >= 0 && doc[p - length - 1] === context[context.length - length - 1]) length++;
      if (length >= MIN_MATCH_TOKENS) {
        found.push({ length, next: doc[p] });
        best = Math.max(best, length);
      }
    }
  }
  if (best < MIN_MATCH_TOKENS) return null;
  const counts = new Map<number, number>();
  let occurrences = 0;
  for (const f of found) {
    if (f.length !== best) continue;
    counts.set(f.next, (counts.get(f.next) ?? 0) + 1);
    occurrences++;
  }
  return { matchTokens: best, occurrences, counts };
}

const sorted = (d: CacheDistribution | null) => d && { ...d, counts: [...d.counts].sort((a, b) => a[0] - b[0]) };

/** A seeded PRNG (mulberry32) so the random cases are the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('engine/ngramCache: exact n-gram counts with backoff to the longest match', () => {
  const doc = [5, 1, 2, 3, 9, 1, 2, 4, 7, 1, 2, 3];
  const index = new TokenNgramIndex(doc, 10);

  it('two context tokens: the three occurrences of (1, 2) were followed by 3, 4, 3', () => {
    assert.deepEqual(sorted(cacheDistribution([index], [8, 1, 2])), { matchTokens: 2, occurrences: 3, counts: [[3, 2], [4, 1]] });
  });

  it('a longer match wins: (9, 1, 2) occurs once, followed by 4', () => {
    assert.deepEqual(sorted(cacheDistribution([index], [9, 1, 2])), { matchTokens: 3, occurrences: 1, counts: [[4, 1]] });
    assert.deepEqual(sorted(cacheDistribution([index], [3, 9, 1, 2])), { matchTokens: 4, occurrences: 1, counts: [[4, 1]] });
  });

  it('an occurrence at the end of a document has no next token and does not count', () => {
    const ends = new TokenNgramIndex([6, 1, 2], 10);
    assert.equal(cacheDistribution([ends], [6, 1, 2]), null);
    assert.deepEqual(sorted(cacheDistribution([ends, index], [6, 1, 2])), { matchTokens: 2, occurrences: 3, counts: [[3, 2], [4, 1]] });
  });

  it('nothing for a context of one token or a pair never seen', () => {
    assert.equal(cacheDistribution([index], [2]), null);
    assert.equal(cacheDistribution([index], [2, 1]), null);
    assert.equal(cacheDistribution([], [1, 2]), null);
  });

  it('counts over several documents add up', () => {
    const other = new TokenNgramIndex([1, 2, 4, 0], 10);
    assert.deepEqual(sorted(cacheDistribution([index, other], [0, 1, 2])), { matchTokens: 2, occurrences: 4, counts: [[3, 2], [4, 2]] });
  });

  it('equals the brute-force definition on random documents (small vocabulary, many matches)', () => {
    const random = prng(7);
    const docs = Array.from({ length: 3 }, () => Array.from({ length: 400 }, () => Math.floor(random() * 4)));
    const indexes = docs.map((d) => new TokenNgramIndex(d, 4));
    for (let i = 0; i < 200; i++) {
      const context = Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 4));
      assert.deepEqual(sorted(cacheDistribution(indexes, context)), sorted(bruteForce(docs, context)), `context ${context}`);
    }
  });

  it('a cache built without the target never predicts it: no hashing, so no collision can leak a token', () => {
    // A large vocabulary (pair keys near 2^40) and contexts that DO occur, always followed by something else.
    const vocab = 1 << 20;
    const random = prng(11);
    const target = Array.from({ length: 1200 }, () => Math.floor(random() * vocab));
    const source: number[] = [];
    for (let i = 2; i < target.length; i++) source.push(target[i - 2], target[i - 1], (target[i] + 1 + Math.floor(random() * 1000)) % vocab, vocab - 1);
    const index = new TokenNgramIndex(source, vocab);
    let predicted = 0;
    for (let i = 2; i < target.length; i++) {
      const dist = cacheDistribution([index], target.slice(0, i));
      assert.ok(dist, `the context before target[${i}] occurs in the source`);
      predicted += dist.counts.get(target[i]) ?? 0;
      assert.deepEqual(sorted(dist), sorted(bruteForce([source], target.slice(Math.max(0, i - MAX_MATCH_TOKENS), i))));
    }
    assert.equal(predicted, 0);
  });

  it('rejects token ids outside the vocabulary', () => {
    assert.throws(() => new TokenNgramIndex([1, 10], 10), /token id 10 is outside the vocabulary \(0\.\.9\)/);
  });

  it('atCursor leaves out only the occurrence that runs across the cursor (context before it, next token after it)', () => {
    // Tokens of one character each: 'ab1ab' + cursor + '2ab3'.
    const text = 'ab1ab2ab3';
    const tokens = Array.from(text, (c) => c.charCodeAt(0));
    const indexed = new TokenNgramIndex(tokens, 128, tokenEndOffsets(text, tokens, (id) => String.fromCharCode(id)));
    const next = (d: CacheDistribution | null) => [...d!.counts.keys()].map((id) => String.fromCharCode(id)).sort();
    const ab = [...'ab'].map((c) => c.charCodeAt(0));
    assert.deepEqual(next(cacheDistribution([indexed], ab)), ['1', '2', '3']);
    assert.deepEqual(next(cacheDistribution([indexed.atCursor(5)], ab)), ['1', '3']);
    assert.deepEqual(next(cacheDistribution([indexed.atCursor(0)], ab)), ['1', '2', '3'], 'a cursor before every occurrence leaves all in');
  });

  it('tokenEndOffsets: each token ends where its text does; bytes of a multi-byte character end with the whole characters before them', () => {
    const text = 'a \u00e9 bc';
    const texts = ['a', ' ', '\uFFFD', '\uFFFD', ' b', 'c'];
    assert.deepEqual([...tokenEndOffsets(text, [0, 1, 2, 3, 4, 5], (id) => texts[id])], [1, 2, 2, 2, 5, 6]);
  });
});
