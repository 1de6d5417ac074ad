import { strict as assert } from 'node:assert';
import {
  argmax,
  createRng,
  createTokenSelector,
  positionSeed,
  processorsFor,
  sampleFromLogits,
  temperatureProcessor,
  topKIndices,
  topKProcessor,
  topPProcessor,
} from '../../../src/engine/sampling';

const row = (...xs: number[]) => Float32Array.from(xs);
const kept = (logits: Float32Array) => [...logits.keys()].filter((i) => logits[i] !== -Infinity);

describe('engine/sampling', () => {
  it('the seeded PRNG repeats per seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
    assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c()));
    for (const x of xs) assert.ok(x >= 0 && x < 1);
  });

  it('argmax picks the first of the largest', () => {
    assert.equal(argmax(row(1, 5, 3, 5)), 1);
  });

  const topKCases: [string, number[], number, number[]][] = [
    ['k=2 of 5', [0.1, 3, -2, 7, 2.5], 2, [3, 1]],
    ['k=1', [4, 9, 1], 1, [1]],
    ['k larger than vocab keeps all, best first', [1, 3, 2], 10, [1, 2, 0]],
    ['ties keep the lower id', [2, 5, 5, 5], 2, [1, 2]],
  ];
  for (const [name, logits, k, expected] of topKCases) {
    it(`topKIndices: ${name}`, () => assert.deepEqual(topKIndices(row(...logits), k), expected));
  }

  it('topKIndices agrees with a full sort on a large random row', () => {
    const rand = createRng(7);
    const logits = Float32Array.from({ length: 5000 }, () => rand() * 20 - 10);
    const bySort = [...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 40);
    assert.deepEqual(topKIndices(logits, 40), bySort);
  });

  it('top-k masks everything outside the k best', () => {
    const logits = row(0.1, 3, -2, 7, 2.5);
    topKProcessor(2).apply(logits);
    assert.deepEqual(kept(logits), [1, 3]);
  });

  const topPCases: [string, number[], number, number[]][] = [
    // probs ~ [0.665, 0.245, 0.090]
    ['p=0.5 keeps the top token only', [2, 1, 0], 0.5, [0]],
    ['p=0.8 needs two tokens', [2, 1, 0], 0.8, [0, 1]],
    ['p=0.99 keeps all three', [2, 1, 0], 0.99, [0, 1, 2]],
    ['already-masked tokens stay masked', [2, -Infinity, 0], 0.99, [0, 2]],
  ];
  for (const [name, logits, p, expected] of topPCases) {
    it(`top-p: ${name}`, () => {
      const l = row(...logits);
      topPProcessor(p).apply(l);
      assert.deepEqual(kept(l), expected);
    });
  }

  it('temperature divides the logits', () => {
    const l = row(2, -4);
    temperatureProcessor(0.5).apply(l);
    assert.deepEqual([...l], [4, -8]);
  });

  it('rejects bad parameters with a message naming them', () => {
    assert.throws(() => temperatureProcessor(0), /temperature must be > 0/);
    assert.throws(() => topKProcessor(0), /top-k must be a positive integer/);
    assert.throws(() => topPProcessor(1.5), /top-p must be in/);
  });

  it('topP 0 keeps the most likely token alone: greedy at any temperature (it used to mean no limit)', () => {
    assert.deepEqual(processorsFor({ temperature: 1.5, topK: 0, topP: 0 }), []);
    const row = [0.1, 2.5, 2.4, -1, 2.45];
    for (let seed = 0; seed < 50; seed++) {
      assert.equal(createTokenSelector({ temperature: 1.5, topK: 0, topP: 0, seed })(Float32Array.from(row), 3), 1);
      assert.equal(createTokenSelector({ temperature: 1.5, topK: 3, topP: 0, seed })(Float32Array.from(row), 3), 1);
    }
  });

  it('the chain is empty for greedy and ordered temperature, top-k, top-p otherwise', () => {
    assert.deepEqual(processorsFor({ temperature: 0, topK: 5, topP: 0.9 }), []);
    assert.deepEqual(
      processorsFor({ temperature: 0.7, topK: 5, topP: 0.9 }).map((p) => p.name),
      ['temperature(0.7)', 'topK(5)', 'topP(0.9)'],
    );
    assert.deepEqual(processorsFor({ temperature: 1, topK: 0, topP: 1 }).map((p) => p.name), ['temperature(1)']);
  });

  it('sampling never returns a masked token and follows the distribution', () => {
    const random = createRng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[sampleFromLogits(row(Math.log(0.75), -Infinity, Math.log(0.25)), random)]++;
    assert.equal(counts[1], 0);
    assert.ok(Math.abs(counts[0] / 3000 - 0.75) < 0.04, `counts ${counts}`);
  });

  it('a selector with the same seed draws the same tokens; greedy ignores the seed', () => {
    const rand = createRng(3);
    const rows = Array.from({ length: 20 }, () => Float32Array.from({ length: 50 }, () => rand() * 4));
    const draw = (seed: number, temperature = 1) => {
      const select = createTokenSelector({ temperature, topK: 10, topP: 0.95, seed });
      return rows.map((r, position) => select(Float32Array.from(r), position));
    };
    assert.deepEqual(draw(11), draw(11));
    assert.notDeepEqual(draw(11), draw(12));
    assert.deepEqual(draw(11, 0), draw(12, 0));
    assert.deepEqual(draw(11, 0), rows.map((r) => argmax(r)));
  });

  it('with top-k, the fast path draws exactly what the processor chain + sampleFromLogits draws', () => {
    const rand = createRng(11);
    for (const [temperature, topK, topP] of [[0.2, 40, 0.95], [1, 10, 1], [0.7, 5, 0.5], [1.3, 100, 0.9], [0.5, 1, 0.95]]) {
      for (let n = 0; n < 200; n++) {
        const row = Float32Array.from({ length: 300 }, () => (rand() - 0.5) * 12);
        if (n % 7 === 0) row[3] = row[17] = Math.max(...row); // ties
        const options = { temperature, topK, topP, seed: n };
        const fast = createTokenSelector(options)(Float32Array.from(row), n);
        const slow = Float32Array.from(row);
        for (const p of processorsFor(options)) p.apply(slow);
        const reference = sampleFromLogits(slow, createRng(positionSeed(n, n)));
        assert.equal(fast, reference, `t=${temperature} k=${topK} p=${topP} row ${n}`);
      }
    }
  });

  it('the draw depends on the position, not on how many draws came before', () => {
    const rand = createRng(5);
    const rows = Array.from({ length: 30 }, () => Float32Array.from({ length: 40 }, () => rand() * 3));
    const select = createTokenSelector({ temperature: 1, topK: 0, topP: 1, seed: 9 });
    const forward = rows.map((r, position) => select(Float32Array.from(r), position));
    const backward = rows.map((_, i) => rows.length - 1 - i).map((position) => select(Float32Array.from(rows[position]), position)).reverse();
    assert.deepEqual(backward, forward);
    assert.ok(new Set(forward).size > 5, 'and it does sample (not always the top token)');
  });
});
