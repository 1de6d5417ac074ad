import { strict as assert } from 'node:assert';
import { median, quantileSorted, rateOf, summarize } from '../../../bench/lib/stats';

describe('bench stats', () => {
  it('takes the middle sample as the median, or the mean of the two middle ones', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
  });

  it('summarises timings with min, max, mean and nearest-rank percentiles', () => {
    const s = summarize([10, 30, 20, 40]);
    assert.deepEqual(s, { n: 4, median: 25, min: 10, max: 40, mean: 25, p95: 40, p99: 40 });
  });

  it('gives p95 as a sample that happened: with 20 samples the 19th, with few samples the maximum', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.equal(quantileSorted(twenty, 0.95), 19);
    assert.equal(quantileSorted(twenty, 0.5), 10);
    assert.equal(summarize([3, 1, 2]).p95, 3);
  });

  it('refuses empty or non-finite samples with a message', () => {
    assert.throws(() => summarize([]), /no samples/);
    assert.throws(() => summarize([1, Number.NaN]), /non-finite/);
    assert.throws(() => quantileSorted([1], 1.5), /\[0, 1\]/);
  });

  it('turns durations into rates: the best rate comes from the fastest run', () => {
    const r = rateOf(256, summarize([100, 200, 400]));
    assert.equal(r.median, 1280); // 256 tokens in 200 ms
    assert.equal(r.best, 2560);
    assert.equal(r.worst, 640);
  });
});
