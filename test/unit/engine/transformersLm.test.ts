/**
 * The transformers.js language model's cache helpers without a model: cutting a cache back slices
 * every [batch, heads] row along the sequence axis (the model itself runs in ./session.test.ts).
 */
import { strict as assert } from 'node:assert';
import { sliceSequence } from '../../../src/engine/transformersLm';

describe('engine/transformersLm', () => {
  it('sliceSequence keeps the first positions of every [batch, heads] row', () => {
    // [1, 2, 3, 2]: heads 0 and 1, 3 positions, head_dim 2
    const data = Float32Array.from([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
    assert.deepEqual([...sliceSequence(data, [1, 2, 3, 2], 2)], [0, 1, 2, 3, 10, 11, 12, 13]);
  });
});
