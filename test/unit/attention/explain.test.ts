import { strict as assert } from 'node:assert';
import { ATTENTION_CAVEAT, explain } from '../../../src/attention/explain';
import { rankInfluences } from '../../../src/attention/rank';
import { tokensOf } from './fixtures';

describe('attention explanation text', () => {
  const tokens = tokensOf(['function', ' add', '(', 'a', ',', ' b', ')', ' {', '\n ', ' return']);
  const weights = [0.4, 0.05, 0.02, 0.2, 0.01, 0.15, 0.02, 0.03, 0.02, 0.1];
  const base = { tokens, query: 9, view: { kind: 'rollout' as const }, layer: 1, nLayer: 2, nHead: 4, selfWeight: 0.1, generated: false };

  it('names the query token, its line and the three most-attended earlier tokens with weights', () => {
    const e = explain({ ...base, line: 3, ranked: rankInfluences(weights, 9) });
    assert.equal(e.headline, 'To predict what comes after “·return” (line 3), the model looked most at “function” 40%, “a” 20% and “·b” 15%.');
  });

  it('explains the view: rollout, mean of heads, one head; notes the self weight and the first-token sink', () => {
    const ranked = rankInfluences(weights, 9);
    const rollout = explain({ ...base, ranked }).reading.join(' ');
    assert.match(rollout, /Rollout follows attention through all 2 layers/);
    assert.match(rollout, /keeps 10% on itself/);
    assert.match(rollout, /very first token/);
    assert.match(explain({ ...base, view: { kind: 'mean' }, ranked }).reading.join(' '), /Layer 2 of 2, averaged over its 4 heads/);
    assert.match(explain({ ...base, view: { kind: 'head', head: 0 }, ranked }).reading.join(' '), /Layer 2 of 2, head 1 of 4/);
  });

  it('always carries the caveat that attention is not a full explanation', () => {
    const e = explain({ ...base, ranked: [] , query: 0, selfWeight: 1 });
    assert.equal(e.caveat, ATTENTION_CAVEAT);
    assert.match(e.caveat, /not a full explanation/);
    assert.match(e.headline, /first token of the window/);
  });

  it('speaks of the completion when the query belongs to it', () => {
    assert.match(explain({ ...base, generated: true, ranked: rankInfluences(weights, 9) }).headline, /^To write the completion after “·return”/);
  });

  it("says when the completion's prompt held snippets retrieved from other files (and only for a completion)", () => {
    const ranked = rankInfluences(weights, 9);
    const said = explain({ ...base, generated: true, ranked, retrieved: ['src/math.ts:16-18', 'src/greet.ts:1-8'] }).reading.at(-1);
    assert.equal(
      said,
      'The prompt of this completion also held snippets retrieved from other files (src/math.ts:16-18 and src/greet.ts:1-8), as comments ' +
        "before this file's text. They are not in the window shown here, so the attention they got is not shown; the shares above are of this window only.",
    );
    assert.match(explain({ ...base, generated: true, ranked, retrieved: ['src/math.ts:16-18'] }).reading.join(' '), /also held a snippet retrieved from other files \(src\/math\.ts:16-18\)/);
    assert.doesNotMatch(explain({ ...base, generated: false, ranked, retrieved: ['src/math.ts:16-18'] }).reading.join(' '), /retrieved/);
    assert.doesNotMatch(explain({ ...base, generated: true, ranked, retrieved: [] }).reading.join(' '), /retrieved/);
  });
});
