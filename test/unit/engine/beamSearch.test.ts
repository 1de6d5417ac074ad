import { strict as assert } from 'node:assert';
import { beamSearch, logSoftmax, topIds } from '../../../src/engine/beamSearch';
import { PrefixReusingGenerator, type CausalLm } from '../../../src/engine/generate';
import type { GenerationOptions } from '../../../src/engine/protocol';
import { FakeLm, VOCAB, encodeFake, fakeCodec, type FakePast } from './fakeLm';

const never = () => false;
const opts = { prefillChunk: 8, now: () => performance.now() };
const id = (c: string) => encodeFake(c)[0];

/**
 * A bigram LM with chosen probabilities, where greedy and beam search disagree:
 * after "a": b 0.5, c 0.4 (the rest 0.1 spread); after "b": d 0.35, e 0.35, f 0.3;
 * after "c": g 0.9, h 0.1; after d, e, f, g, h: "\n" (certain).
 * Greedy takes b then d: "bd" (0.175). Beam search finds "cg" (0.36).
 */
class BigramLm implements CausalLm<FakePast> {
  readonly contextLength = 64;
  readonly eosTokenIds = [0];
  tokensRun = 0;
  private static readonly TABLE: Record<string, Record<string, number>> = {
    a: { b: 0.5, c: 0.4, x: 0.05, y: 0.05 },
    b: { d: 0.35, e: 0.35, f: 0.3 },
    c: { g: 0.9, h: 0.1 },
  };
  async forward(ids: readonly number[], past: FakePast | null) {
    this.tokensRun += ids.length;
    const all = [...(past?.ids ?? []), ...ids];
    const last = fakeCodec.decode([all[all.length - 1]]);
    const probs = BigramLm.TABLE[last] ?? { '\n': 1 };
    const logits = new Float32Array(VOCAB).fill(-1e9);
    for (const [c, p] of Object.entries(probs)) logits[id(c)] = Math.log(p);
    return { logits, past: { ids: all } };
  }
  truncate(past: FakePast, length: number): FakePast {
    return { ids: past.ids.slice(0, length) };
  }
}

const decoding = (over: Partial<GenerationOptions>): GenerationOptions => ({ maxNewTokens: 8, temperature: 0, topK: 0, topP: 1, seed: 0, stop: ['\n'], ...over });

describe('engine/beamSearch', () => {
  it('logSoftmax and topIds (ties to the lower id)', () => {
    const lp = logSoftmax(Float32Array.from([0, Math.log(3)]));
    assert.ok(Math.abs(lp[0] - Math.log(0.25)) < 1e-6 && Math.abs(lp[1] - Math.log(0.75)) < 1e-6);
    assert.deepEqual(topIds(Float64Array.from([1, 3, 3, -Infinity, 2]), 3), [1, 2, 4]);
  });

  it('greedy gives "bd"; beams of 2 find the likelier "cg"', async () => {
    const prompt = encodeFake('a');
    const greedy = await new PrefixReusingGenerator(new BigramLm(), fakeCodec, opts).generate(prompt, decoding({}), never);
    const beams = await new PrefixReusingGenerator(new BigramLm(), fakeCodec, opts).generate(prompt, decoding({ beamWidth: 2 }), never);
    assert.ok(greedy.status === 'done' && beams.status === 'done');
    assert.deepEqual([greedy.text, greedy.stopReason], ['bd', 'stop']);
    assert.deepEqual([beams.text, beams.stopReason, beams.ids], ['cg', 'stop', [id('c'), id('g'), id('\n')]]);
  });

  it('one beam is greedy decoding (on the rolling-hash LM, over 10 tokens)', async () => {
    const lm = new FakeLm(512, { spread: true });
    const prompt = encodeFake('function\nhello');
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const first = await lm.forward(prompt, null);
    const out = await beamSearch({
      firstRow: first.logits,
      width: 1,
      maxNewTokens: 10,
      eos: new Set([0]),
      constrainFirst: null,
      textOf: (ids) => fakeCodec.decode(ids),
      stopAt: () => null,
      step: async (ids) => (await lm.forward([...prompt, ...ids], null)).logits,
      isCancelled: never,
    });
    const greedy = await gen.generate(prompt, decoding({ maxNewTokens: 10, stop: [] }), never);
    assert.ok(greedy.status === 'done');
    assert.deepEqual(out!.ids, greedy.ids);
    assert.equal(out!.stopReason, 'maxTokens');
  });

  it('beams run on the reused KV cache give what a cache-free run gives', async () => {
    const prompt = encodeFake('const value = compute');
    const cachedLm = new FakeLm(512, { spread: true });
    const uncutLm = new FakeLm(512, { spread: true, recurrent: true }); // a cache that cannot be cut: every beam step reruns everything
    const cached = new PrefixReusingGenerator(cachedLm, fakeCodec, opts);
    const uncut = new PrefixReusingGenerator(uncutLm, fakeCodec, opts);
    const a = await cached.generate(prompt, decoding({ beamWidth: 3, stop: [] }), never);
    const b = await uncut.generate(prompt, decoding({ beamWidth: 3, stop: [] }), never);
    assert.ok(a.status === 'done' && b.status === 'done');
    assert.deepEqual(a.ids, b.ids);
    assert.equal(a.ids.length, 8);
    assert.ok(cachedLm.tokensRun < uncutLm.tokensRun / 2, `beams share the prompt and their common prefix (${cachedLm.tokensRun} vs ${uncutLm.tokensRun} tokens run)`);
    // A request after a beam search starts from the cache it left, correctly.
    const after = await cached.generate(prompt, decoding({ stop: [] }), never);
    assert.ok(after.status === 'done');
    const fresh = await new PrefixReusingGenerator(new FakeLm(512, { spread: true }), fakeCodec, opts).generate(prompt, decoding({ stop: [] }), never);
    assert.ok(fresh.status === 'done');
    assert.deepEqual(after.ids, fresh.ids);
  });

  it('the copy model is mixed into every beam step, as into a single sequence', async () => {
    // A mixer that, after "a" then "b", makes "e" certain: beams of 2 then prefer "be" (0.5) to "cg" (0.36).
    const seen: string[] = [];
    const preferE = (row: Float32Array, sequence: readonly number[]) => {
      const text = fakeCodec.decode([...sequence]);
      seen.push(text);
      if (!text.endsWith('ab')) return;
      row.fill(-Infinity);
      row[id('e')] = 0;
    };
    const prompt = encodeFake('a');
    const beams = await new PrefixReusingGenerator(new BigramLm(), fakeCodec, opts).generate(prompt, decoding({ beamWidth: 2 }), never, preferE);
    const plain = await new PrefixReusingGenerator(new BigramLm(), fakeCodec, opts).generate(prompt, decoding({ beamWidth: 2 }), never);
    assert.ok(beams.status === 'done' && plain.status === 'done');
    assert.deepEqual([beams.text, plain.text], ['be', 'cg']);
    assert.equal(seen[0], 'a', 'the first row (after the prompt) is mixed too');
  });

  it('a cancel between beam steps cancels the request', async () => {
    let calls = 0;
    const out = await new PrefixReusingGenerator(new BigramLm(), fakeCodec, opts).generate(encodeFake('a'), decoding({ beamWidth: 2 }), () => ++calls > 2);
    assert.equal(out.status, 'cancelled');
  });
});
