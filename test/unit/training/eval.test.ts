import { strict as assert } from 'node:assert';
import { NGramModel } from '../../../training/trainer/ngram';
import { NGramLanguageModel } from '../../../training/trainer/languageModel';
import { editSimilarity, levenshtein, selectLines } from '../../../training/trainer/lineCompletion';

describe('eval: n-gram baseline', () => {
  const V = 10;
  // "1 2 3 4" repeated, with one "1 2 3 5"
  const seq = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 5, 1, 2, 3, 4, 0, 6, 7];
  const model = NGramModel.train(Uint16Array.from(seq), V, 4);

  it('is a probability distribution for seen, unseen and empty contexts', () => {
    for (const ctx of [[1, 2, 3], [2, 3], [9, 9, 9], [], [7]]) {
      let total = 0;
      for (let w = 0; w < V; w++) total += model.prob(ctx, w);
      assert.ok(Math.abs(total - 1) < 1e-12, `context [${ctx}] sums to ${total}`);
    }
  });

  it('predicts the frequent continuation and backs off for unseen contexts', () => {
    assert.equal(model.argmax([1, 2, 3]), 4);
    assert.ok(model.prob([1, 2, 3], 4) > model.prob([1, 2, 3], 5));
    assert.ok(model.prob([1, 2, 3], 5) > model.prob([1, 2, 3], 8), 'seen follower beats unseen');
    assert.equal(model.argmax([8, 8, 2]), 3, 'unseen trigram context backs off to the bigram "2 -> 3"');
    // absolute discounting by hand: c(1 2 3 4) = 3, c(1 2 3) = 4, 2 distinct followers, d = 0.75
    const lower = model.prob([2, 3], 4);
    assert.ok(Math.abs(model.prob([1, 2, 3], 4) - ((3 - 0.75) / 4 + ((0.75 * 2) / 4) * lower)) < 1e-12);
  });

  it('generates greedily and stops on the stop token', async () => {
    const lm = new NGramLanguageModel(model, 64);
    assert.deepEqual(await lm.greedy([1, 2], 10, (id) => id === 1), [3, 4, 1]);
    const { logProbs, top1 } = await lm.scoreWindow([1, 2, 3, 4]);
    assert.equal(logProbs.length, 3);
    assert.deepEqual(Array.from(top1), [1, 1, 1]);
  });
});

describe('eval: line completion', () => {
  it('scores edit similarity like 1 - Levenshtein / longer length', () => {
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(editSimilarity('abc', 'abc'), 1);
    assert.equal(editSimilarity('', ''), 1);
    assert.ok(Math.abs(editSimilarity('kitten', 'sitting') - (1 - 3 / 7)) < 1e-12);
  });

  it('cuts each chosen line after its indentation and first word, deterministically', () => {
    const text = ['import x from "y";', '', 'function f(a) {', '  return a + 1;', '}', 'const z = f(2);'].join('\n');
    const samples = selectLines([{ package: 'p', path: 'a.js', text }], 10, 10);
    assert.deepEqual(
      samples.map((s) => [s.line, s.prefix.split('\n').pop(), s.target]),
      [
        [2, 'function', ' f(a) {'],
        [3, '  return', ' a + 1;'],
        [5, 'const', ' z = f(2);'],
      ],
    );
    assert.ok(samples.every((s) => s.fileStart));
    assert.equal(samples[1].prefix, 'import x from "y";\n\nfunction f(a) {\n  return');
    assert.deepEqual(selectLines([{ package: 'p', path: 'a.js', text }], 2, 10).length, 2);
    const one = selectLines([{ package: 'p', path: 'a.js', text }], 10, 1);
    assert.deepEqual(one.map((s) => s.line), [3], 'one line per file: the middle eligible line');
  });

  it('gives each line the following lines as its FIM suffix, cut at a line end', () => {
    const text = ['function f(a) {', '  return a + 1;', '}', 'const z = f(2);', 'export { z };'].join('\n');
    const samples = selectLines([{ package: 'p', path: 'a.js', text }], 10, 10, 4000, 20);
    assert.deepEqual(samples.map((s) => [s.line, s.suffix]), [
      [1, '}\nconst z = f(2);\n'], // the next line would take it over 20 characters
      [3, 'export { z };'],
      [4, ''],
    ]);
  });
});
