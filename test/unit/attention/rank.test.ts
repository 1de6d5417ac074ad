import { strict as assert } from 'node:assert';
import { heatBackground, heatLevel, intensity, levelColours, scaleMax } from '../../../src/attention/colour';
import { formatWeight, rankInfluences, tokenLabel } from '../../../src/attention/rank';

describe('attention ranking and colour scale', () => {
  it('ranks earlier tokens by weight, highest first, ties in document order, without the query or later tokens', () => {
    const w = [0.1, 0.3, 0.1, 0.05, 0.45, 0.9];
    assert.deepEqual(rankInfluences(w, 4), [
      { index: 1, weight: 0.3, rank: 1 },
      { index: 0, weight: 0.1, rank: 2 },
      { index: 2, weight: 0.1, rank: 3 },
      { index: 3, weight: 0.05, rank: 4 },
    ]);
    assert.deepEqual(rankInfluences(w, 4, { includeQuery: true, limit: 2 }).map((r) => r.index), [4, 1]);
    assert.deepEqual(rankInfluences(w, 4, { minWeight: 0.1 }).map((r) => r.index), [1, 0, 2]);
    assert.deepEqual(rankInfluences([1, 0, 0], 0), [], 'the first token has nothing earlier');
    assert.deepEqual(rankInfluences([0, 0.5, 0.5], 2).map((r) => r.index), [1], 'zero weights are not influences');
    assert.throws(() => rankInfluences(w, 6), /query 6 is outside the 6 tokens/);
  });

  it('labels make whitespace visible and shorten long tokens', () => {
    const t = (text: string) => ({ text, special: false, id: 1 });
    assert.equal(tokenLabel(t(' foo\t')), '·foo→');
    assert.equal(tokenLabel(t('\r\n')), '↵');
    assert.equal(tokenLabel(t('')), '‹byte of a character›');
    assert.equal(tokenLabel(t('x'.repeat(40)), 10), 'xxxxxxxxx…');
  });

  it('weights read as percentages with sensible precision', () => {
    assert.deepEqual([0.4231, 0.0312, 0.0042, 0.00001, 0, 1].map(formatWeight), ['42%', '3.1%', '0.42%', '<0.01%', '0%', '100%']);
  });

  it('intensity: square root of the weight relative to the largest earlier weight (the query itself excluded)', () => {
    const w = [0.1, 0.2, 0.05, 0.65];
    assert.equal(scaleMax(w, 3), 0.2);
    assert.equal(intensity(0.05, 0.2), 0.5);
    assert.equal(intensity(0.2, 0.2), 1);
    assert.ok(intensity(0.01, 0.2) < intensity(0.02, 0.2), 'order is kept');
    assert.equal(intensity(0.65, 0.2), 1, 'clamped');
    assert.equal(intensity(0.1, 0), 0);
    assert.equal(intensity(Number.NaN, 1), 0);
    assert.equal(scaleMax([1, 0], 0), 1, 'the first token scales by its own weight');
  });

  it('panel colour: theme heat colour mixed with transparency, 0..75%', () => {
    assert.equal(heatBackground(0), 'transparent');
    assert.equal(heatBackground(1), 'color-mix(in srgb, var(--lg-heat) 75%, transparent)');
    assert.equal(heatBackground(0.5), 'color-mix(in srgb, var(--lg-heat) 38%, transparent)');
    assert.equal(heatBackground(7), heatBackground(1));
  });

  it('editor decoration levels: 5 steps, stronger colour for higher levels, light and dark variants', () => {
    assert.deepEqual([0, 0.05, 0.1, 0.5, 0.99, 1].map((v) => heatLevel(v)), [0, 0, 1, 3, 5, 5]);
    const a = (level: number) => Number(/([\d.]+)\)$/.exec(levelColours(level).dark)![1]);
    assert.ok(a(1) < a(3) && a(3) < a(5));
    assert.match(levelColours(5).light, /^rgba\(230, 120, 0, 0\.600\)$/);
  });
});
