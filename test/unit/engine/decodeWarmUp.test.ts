import { strict as assert } from 'node:assert';
import { WARM_UP_DECODE_STEPS, warmUpDecoding } from '../../../src/engine/decodeWarmUp';
import { PrefixReusingGenerator } from '../../../src/engine/generate';
import { FakeLm, fakeCodec, VOCAB } from './fakeLm';

const opts = { prefillChunk: 8, now: () => performance.now() };
/** Any text to the fake vocabulary (2..VOCAB-1: no end-of-text, no line break). */
const encode = (text: string) => [...text].map((c) => 2 + (c.charCodeAt(0) % (VOCAB - 2)));

describe('engine/decodeWarmUp: the decode loop run at load', () => {
  it('runs at least WARM_UP_DECODE_STEPS decode steps, then leaves the generator as new', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const steps = await warmUpDecoding(gen, encode);
    assert.ok(steps >= WARM_UP_DECODE_STEPS, `${steps} steps`);
    assert.ok(lm.calls.filter((c) => c.length === 1).length >= WARM_UP_DECODE_STEPS - 8, 'the steps ran the model');
    assert.deepEqual(gen.cachedTokenIds, []);
    // A request after it starts cold: nothing of the made-up prompt is reused.
    const out = await gen.generate(encode('abc'), { maxNewTokens: 2, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] }, () => false);
    assert.equal(out.status === 'done' && out.timings.reusedTokens, 0);
  });

  it('stops when its time is up, and when the model ends every round at once', async () => {
    let clock = 0;
    const slow = new PrefixReusingGenerator(new FakeLm(), fakeCodec, opts);
    // Each reading of the clock is a second later: the budget is over after the first round.
    const steps = await warmUpDecoding(slow, encode, () => (clock += 1000));
    assert.ok(steps > 0 && steps <= 32, `${steps} steps: one round`);

    // End-of-text everywhere: the fresh-line round redraws it (./freshLine.ts), the next ends at once and stops the warm-up.
    const ending = new FakeLm(512, { eosAfter: 0 });
    const few = await warmUpDecoding(new PrefixReusingGenerator(ending, fakeCodec, opts), encode);
    assert.ok(few < 32, `${few} steps: two rounds`);
    const decodeCalls = ending.calls.filter((c) => c.length === 1).length;
    assert.ok(decodeCalls < 32, `${decodeCalls} decode steps`);
  });
});
