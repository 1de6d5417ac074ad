import { strict as assert } from 'node:assert';
import {
  headEntropies,
  headRow,
  meanOverHeads,
  normalisedEntropy,
  rolloutMatrix,
  rolloutRows,
  rowIndex,
  weightsFor,
} from '../../../src/attention/aggregate';
import { snapshotOf } from './fixtures';

const close = (actual: ArrayLike<number>, expected: number[], eps = 1e-6, what = '') => {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= eps, `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
  }
};

// Two layers over three tokens, rows sum to 1, zero above the diagonal (causal).
const A0 = [1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5];
const A1 = [1, 0, 0, 0.6, 0.4, 0, 0.1, 0.1, 0.8];

describe('attention aggregation', () => {
  it('mean of heads averages each entry over the heads, per row', () => {
    // H=2, R=1, T=3: head 0 looks at token 0, head 1 splits between 1 and 2.
    close(meanOverHeads([1, 0, 0, 0, 0.5, 0.5], 2, 1, 3), [0.5, 0.25, 0.25]);
    assert.throws(() => meanOverHeads([1, 0], 2, 1, 3), /expected 2×1×3 = 6 values, got 2/);
  });

  it('rollout of two layers, computed by hand: Ã = ½I + ½A, R = Ã1·Ã0', () => {
    // Ã0 = [[1,0,0],[.25,.75,0],[.1,.15,.75]],  Ã1 = [[1,0,0],[.3,.7,0],[.05,.05,.9]]
    // row 2 of Ã1·Ã0 = .05·[1,0,0] + .05·[.25,.75,0] + .9·[.1,.15,.75] = [.1525, .1725, .675]
    // row 1          = .3·[1,0,0] + .7·[.25,.75,0]                    = [.475, .525, 0]
    const rows = rolloutRows([A0, A1], 3, [0, 1, 2]);
    close(rows, [1, 0, 0, 0.475, 0.525, 0, 0.1525, 0.1725, 0.675]);
    close(rolloutMatrix([A0, A1], 3), [1, 0, 0, 0.475, 0.525, 0, 0.1525, 0.1725, 0.675]);
  });

  it('rollout order matters: the later layer multiplies on the left', () => {
    // Swapping the layers gives a different row 2: Ã0·Ã1 row 2 = .1·[1,0,0] + .15·[.3,.7,0] + .75·[.05,.05,.9]
    close(rolloutRows([A1, A0], 3, [2]), [0.1 + 0.045 + 0.0375, 0.105 + 0.0375, 0.675]);
  });

  it('rollout rows for a subset equal the full product, sum to 1, and a residual of 1 gives the identity', () => {
    const T = 6;
    const layers = [randomCausal(T, 1), randomCausal(T, 2), randomCausal(T, 3)];
    const full = rolloutMatrix(layers, T);
    const some = rolloutRows(layers, T, [1, 4, 5]);
    [1, 4, 5].forEach((q, r) => {
      close(some.subarray(r * T, (r + 1) * T), Array.from(full.subarray(q * T, (q + 1) * T)), 1e-6, `row ${q}`);
      assert.ok(Math.abs(some.subarray(r * T, (r + 1) * T).reduce((a, b) => a + b, 0) - 1) < 1e-6);
    });
    close(rolloutRows(layers, T, [3], 1), [0, 0, 0, 1, 0, 0]);
    assert.throws(() => rolloutRows(layers, T, [6]), /row 6 is outside 0..5/);
    assert.throws(() => rolloutRows([[1, 0]], T, [0]), /layer 0 has 2 values, expected 6×6/);
  });

  it('rowIndex finds a query among the present rows', () => {
    assert.equal(rowIndex([0, 3, 7, 9], 7), 2);
    assert.equal(rowIndex([0, 3, 7, 9], 4), -1);
    assert.equal(rowIndex([], 0), -1);
  });

  it('weightsFor picks a head, the mean of heads, or rollout; null for a row the snapshot lacks', () => {
    // L=1, H=2, T=3, only rows 0 and 2 present.
    const s = snapshotOf({
      texts: ['a', 'b', 'c'],
      nLayer: 1,
      nHead: 2,
      rows: [0, 2],
      // [L, H, R, T]
      probs: [1, 0, 0, 0.2, 0.3, 0.5, /* head 1 */ 1, 0, 0, 0.6, 0.2, 0.2],
      rollout: [1, 0, 0, 0.3, 0.3, 0.4],
    });
    close(weightsFor(s, { kind: 'head', head: 1 }, 0, 2)!, [0.6, 0.2, 0.2]);
    close(weightsFor(s, { kind: 'mean' }, 0, 2)!, [0.4, 0.25, 0.35]);
    close(weightsFor(s, { kind: 'rollout' }, 0, 2)!, [0.3, 0.3, 0.4]);
    assert.equal(weightsFor(s, { kind: 'mean' }, 0, 1), null);
    assert.equal(weightsFor(s, { kind: 'head', head: 2 }, 0, 2), null);
    assert.equal(headRow(s, 1, 0, 2), null);
  });

  it('normalised entropy: 0 for one-hot, 1 for uniform over the visible keys', () => {
    assert.equal(normalisedEntropy([1, 0, 0, 0], 4), 0);
    assert.ok(Math.abs(normalisedEntropy([0.25, 0.25, 0.25, 0.25], 4) - 1) < 1e-12);
    assert.ok(Math.abs(normalisedEntropy([0.5, 0.5, 0, 0], 4) - 0.5) < 1e-12); // ln 2 / ln 4
    assert.equal(normalisedEntropy([1], 1), 0);
    const s = snapshotOf({ texts: ['a', 'b'], nLayer: 1, nHead: 2, rows: [0, 1], probs: [1, 0, 1, 0, 1, 0, 0.5, 0.5], rollout: [1, 0, 0.5, 0.5] });
    close(headEntropies(s, 1)!, [0, 1]);
  });
});

/** A random causal row-stochastic [T, T] matrix. */
function randomCausal(T: number, seed: number): Float32Array {
  let x = seed * 9301 + 49297;
  const rand = () => ((x = (x * 9301 + 49297) % 233280) / 233280);
  const A = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    let sum = 0;
    for (let k = 0; k <= i; k++) sum += A[i * T + k] = 0.05 + rand();
    for (let k = 0; k <= i; k++) A[i * T + k] /= sum;
  }
  return A;
}
