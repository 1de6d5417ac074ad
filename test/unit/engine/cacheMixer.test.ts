import { strict as assert } from 'node:assert';
import { cacheMixer, cacheWeight, DEFAULT_MIX_PARAMS, mixIntoLogits } from '../../../src/engine/cacheMixer';
import { TokenNgramIndex } from '../../../src/engine/ngramCache';

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} != ${expected}`);
/** softmax(row): the mixer returns logits, not normalised log-probabilities. */
const probabilities = (row: Float32Array) => {
  const e = Array.from(row, (v) => Math.exp(v));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

describe('engine/cacheMixer: the copy model mixed into the GPT distribution', () => {
  it('λ = 0.8 · (1 − e^(−H)) · m / (m + 2): zero for a confident model, larger for longer matches', () => {
    assert.deepEqual(DEFAULT_MIX_PARAMS, { maxWeight: 0.8, entropyScale: 1, matchHalf: 2 });
    assert.equal(cacheWeight(0, 5), 0);
    close(cacheWeight(1, 2), 0.8 * (1 - Math.exp(-1)) * 0.5, 'H=1, m=2');
    close(cacheWeight(2, 6), 0.8 * (1 - Math.exp(-2)) * 0.75, 'H=2, m=6');
  });

  it("the entropy is the model's, in nats, whatever the logits' offset; masked tokens count for nothing", () => {
    const none = { matchTokens: 2, occurrences: 1, counts: new Map<number, number>() };
    const row = Float32Array.from([Math.log(0.5), Math.log(0.25), Math.log(0.25), -Infinity].map((v) => v + 7));
    close(mixIntoLogits(row, none).entropy, 1.5 * Math.log(2), 'entropy');
  });

  it('exact mixture on a small input, and it sums to 1', () => {
    // model: p = [1/2, 1/4, 1/8, 1/8], H = 1.75 ln 2; cache: token 3 twice, token 1 once, after 2 matched tokens
    const row = Float32Array.from([0.5, 0.25, 0.125, 0.125].map(Math.log));
    const out = mixIntoLogits(row, { matchTokens: 2, occurrences: 3, counts: new Map([[3, 2], [1, 1]]) });
    const H = 1.75 * Math.log(2);
    const λ = 0.8 * (1 - Math.exp(-H)) * 0.5;
    close(out.entropy, H, 'entropy');
    close(out.weight, λ, 'weight');
    const p = probabilities(row);
    close(p[0], (1 - λ) * 0.5, 'p0');
    close(p[1], (1 - λ) * 0.25 + λ / 3, 'p1');
    close(p[2], (1 - λ) * 0.125, 'p2');
    close(p[3], (1 - λ) * 0.125 + (2 * λ) / 3, 'p3');
    close(p.reduce((a, b) => a + b, 0), 1, 'sum');
  });

  it('a token masked by the model (-Infinity) gets only the cache share', () => {
    const row = Float32Array.from([0, 0, -Infinity]);
    const out = mixIntoLogits(row, { matchTokens: 2, occurrences: 1, counts: new Map([[2, 1]]) });
    const p = probabilities(row);
    close(p[2], out.weight, 'p2');
    close(p[0], (1 - out.weight) / 2, 'p0');
  });

  it('the mixer leaves a row untouched where the cache has no match, and mixes where it has', () => {
    const mix = cacheMixer([new TokenNgramIndex([1, 2, 3], 4)])!;
    const row = Float32Array.from([0, 0, 0, 0]);
    mix(row, [0, 2, 1]);
    assert.deepEqual(Array.from(row), [0, 0, 0, 0]);
    mix(row, [0, 1, 2]);
    const λ = cacheWeight(Math.log(4), 2);
    const p = probabilities(row);
    close(p[3], 0.25 * (1 - λ) + λ, 'p3');
    close(p[0], 0.25 * (1 - λ), 'p0');
    assert.equal(cacheMixer([]), null);
  });
});
