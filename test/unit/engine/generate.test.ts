import { strict as assert } from 'node:assert';
import { endsBeforeText } from '../../../src/engine/freshLine';
import { PrefixReusingGenerator, commonPrefixLength, findStop, fitPrompt } from '../../../src/engine/generate';
import type { GenerationOptions } from '../../../src/engine/protocol';
import { FakeLm, MERGED_AB, VOCAB, encodeFake, fakeCodec, mergedAb, mergedCodec, referenceGreedy, tableLm, textsCodec } from './fakeLm';

const greedy = (maxNewTokens: number, stop: string[] = []): GenerationOptions => ({ maxNewTokens, temperature: 0, topK: 0, topP: 1, seed: 0, stop });
const never = () => false;
const opts = { prefillChunk: 8, now: () => performance.now() };

describe('engine/generate: pure helpers', () => {
  const prefixCases: [number[], number[], number][] = [
    [[], [1, 2], 0],
    [[1, 2, 3], [1, 2, 4], 2],
    [[1, 2], [1, 2, 3], 2],
    [[5], [6], 0],
  ];
  for (const [a, b, n] of prefixCases) it(`commonPrefixLength(${a}, ${b}) = ${n}`, () => assert.equal(commonPrefixLength(a, b), n));

  it('findStop finds the earliest stop string', () => {
    assert.equal(findStop('abc\n\ndef', ['def', '\n\n']), 3);
    assert.equal(findStop('abc', ['x', '']), null);
  });

  it('fitPrompt keeps the newest tokens and leaves room for new ones', () => {
    assert.deepEqual(fitPrompt([1, 2, 3, 4, 5, 6], 8, 4), [3, 4, 5, 6]);
    assert.deepEqual(fitPrompt([1, 2, 3], 8, 4), [1, 2, 3]);
    // the reserve never takes more than half the window
    assert.deepEqual(fitPrompt([1, 2, 3, 4, 5, 6], 8, 100), [3, 4, 5, 6]);
  });

  it('fitPrompt cuts in quarter-window steps, so a growing prompt keeps its first token for a while', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i);
    // window 24, reserve 8: room 16, step 4
    const starts = [17, 18, 19, 20, 21].map((n) => fitPrompt(ids(n), 24, 8)[0]);
    assert.deepEqual(starts, [4, 4, 4, 4, 8]);
    for (const n of [17, 20, 21, 40]) assert.ok(fitPrompt(ids(n), 24, 8).length <= 16);
  });
});

describe('engine/generate: generation loop with prefix reuse', () => {
  it('never generates a control token (a special token other than end-of-text), greedy or beam', async () => {
    // id VOCAB is a special token (decodes to nothing, like <fim_suffix>), and the model likes it best at every step.
    const CONTROL = VOCAB;
    const codec = { decode: fakeCodec.decode, tokenTexts: [...fakeCodec.tokenTexts!, ''] };
    const lm = new FakeLm();
    const forward = lm.forward.bind(lm);
    lm.forward = async (ids, past) => {
      const out = await forward(ids, past);
      const logits = new Float32Array(VOCAB + 1);
      logits.set(out.logits);
      logits[CONTROL] = 9;
      return { logits, past: out.past };
    };
    const prompt = encodeFake('function\nhello');
    for (const options of [greedy(12), { ...greedy(12), beamWidth: 2 }]) {
      const out = await new PrefixReusingGenerator(lm, codec, opts).generate(prompt, options, never);
      // The same search over the model without that token.
      const plain = await new PrefixReusingGenerator(new FakeLm(), fakeCodec, opts).generate(prompt, options, never);
      assert.ok(out.status === 'done' && plain.status === 'done');
      assert.ok(!out.ids.includes(CONTROL), `beam ${options.beamWidth ?? 1}: ${out.ids.join(',')}`);
      assert.deepEqual(out.ids, plain.ids, `beam ${options.beamWidth ?? 1}: what the model without the control token gives`);
    }
    const greedyOut = await new PrefixReusingGenerator(lm, codec, opts).generate(prompt, greedy(12), never);
    assert.deepEqual(greedyOut.status === 'done' && greedyOut.ids, referenceGreedy(prompt, 12));
  });

  it('greedy output equals a cache-free reference', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const prompt = encodeFake('function\nhello');
    const out = await gen.generate(prompt, greedy(12), never);
    assert.equal(out.status, 'done');
    if (out.status !== 'done') return;
    assert.deepEqual(out.ids, referenceGreedy(prompt, 12));
    assert.equal(out.text, fakeCodec.decode(out.ids));
    assert.equal(out.stopReason, 'maxTokens');
    assert.equal(out.timings.promptTokens, prompt.length);
    assert.equal(out.timings.reusedTokens, 0);
  });

  it('typing one more character runs only the new token (counted in the model)', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const first = encodeFake('const value = computesomething');
    await gen.generate(first, greedy(6), never);
    const before = lm.tokensRun;
    assert.equal(before, first.length + 5, 'prompt once, then every generated token but the last');

    const second = [...first, ...encodeFake('x')];
    const out = await gen.generate(second, greedy(6), never);
    assert.equal(out.status, 'done');
    if (out.status !== 'done') return;
    assert.equal(out.timings.reusedTokens, first.length);
    // One prompt token, then the 5 decode steps: the old prompt is not run again.
    assert.equal(lm.tokensRun - before, 1 + 5);
    assert.deepEqual(out.ids, referenceGreedy(second, 6), 'reused cache gives the same tokens as a fresh run');
  });

  it('accepting the suggestion reuses the generated tokens too', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const prompt = encodeFake('abc');
    const first = await gen.generate(prompt, greedy(8), never);
    assert.equal(first.status, 'done');
    if (first.status !== 'done') return;
    const accepted = [...prompt, ...first.ids, ...encodeFake('q')];
    const before = lm.tokensRun;
    const out = await gen.generate(accepted, greedy(3), never);
    assert.equal(out.status === 'done' && out.timings.reusedTokens, prompt.length + first.ids.length - 1);
    // the last generated token was never run, then 'q', then 2 decode steps
    assert.equal(lm.tokensRun - before, 2 + 2);
    assert.deepEqual(out.status === 'done' && out.ids, referenceGreedy(accepted, 3));
  });

  it('a request that leaves the cache near its start keeps it aside: the next one at the first spot continues it', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    // The editor: a prompt at the cursor, then one that differs from its first token (another suffix at
    // another spot), cancelled half-way through its prefill, then the first spot again, one key later.
    const here = encodeFake('q'.repeat(40) + 'const value = computesomething'.repeat(2));
    await gen.generate(here, greedy(4), never);
    const elsewhere = encodeFake('z'.repeat(90));
    const calls = lm.calls.length;
    const cancelled = await gen.generate(elsewhere, greedy(4), () => lm.calls.length >= calls + 3);
    assert.equal(cancelled.status, 'cancelled');
    const typed = [...here, ...encodeFake('x')];
    const before = lm.tokensRun;
    const out = await gen.generate(typed, greedy(4), never);
    assert.equal(out.status === 'done' && out.timings.reusedTokens, here.length);
    assert.equal(lm.tokensRun - before, 1 + 3, 'the typed token, then 3 decode steps');
    assert.deepEqual(out.status === 'done' && out.ids, referenceGreedy(typed, 4));
    // And back at the other spot: its 24 prefilled tokens were set aside in turn.
    const again = await gen.generate(elsewhere, greedy(4), never);
    assert.equal(again.status === 'done' && again.timings.reusedTokens, 24);
    assert.deepEqual(again.status === 'done' && again.ids, referenceGreedy(elsewhere, 4));
  });

  it('an edit in the middle trims the cache to the common prefix', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const a = encodeFake('abcdefghij');
    await gen.generate(a, greedy(2), never);
    const b = encodeFake('abcdXfghij');
    const before = lm.tokensRun;
    const out = await gen.generate(b, greedy(2), never);
    assert.equal(out.status === 'done' && out.timings.reusedTokens, 4);
    assert.equal(lm.tokensRun - before, 6 + 1);
    assert.deepEqual(out.status === 'done' && out.ids, referenceGreedy(b, 2));
  });

  it('the same prompt twice runs nothing the second time: the stored logits are replayed', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const p = encodeFake('hello');
    const first = await gen.generate(p, greedy(4), never);
    const before = lm.tokensRun;
    const out = await gen.generate(p, greedy(4), never);
    assert.equal(lm.tokensRun - before, 0);
    assert.deepEqual(out.status === 'done' && out.ids, first.status === 'done' && first.ids);
    assert.equal(out.status === 'done' && out.timings.reusedTokens, p.length);
  });

  it('typing what was suggested replays the known positions and runs only past them', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    await gen.generate(encodeFake('zzz unrelated'), greedy(3), never); // the cache starts out holding something else
    const p = encodeFake('const x = ');
    const first = await gen.generate(p, greedy(8), never);
    assert.ok(first.status === 'done' && first.ids.length === 8);
    if (first.status !== 'done') return;
    const typed = [...p, ...first.ids.slice(0, 3)]; // the user typed the first 3 suggested tokens
    const before = lm.tokensRun;
    const out = await gen.generate(typed, greedy(8), never);
    assert.deepEqual(out.status === 'done' && out.ids, referenceGreedy(typed, 8));
    // stored rows cover 5 of the 8 new tokens; then the old last token (never run) and 2 decode steps run
    assert.deepEqual(lm.calls.slice(-3), [[first.ids[7]], [out.status === 'done' ? out.ids[5] : -1], [out.status === 'done' ? out.ids[6] : -1]]);
    assert.equal(lm.tokensRun - before, 3);
  });

  it('prefetch runs the suggestion\'s last token while idle; typing the suggestion then runs nothing', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const p = encodeFake('let total = ');
    const first = await gen.generate(p, greedy(8), never);
    if (first.status !== 'done') throw new Error('cancelled');
    let before = lm.tokensRun;
    assert.equal(await gen.prefetch(), 1);
    assert.deepEqual(lm.calls.at(-1), [first.ids[7]], 'the last suggested token');
    assert.equal(await gen.prefetch(), 0, 'once');
    before = lm.tokensRun;
    const typed = [...p, first.ids[0]];
    const out = await gen.generate(typed, greedy(8), never);
    assert.deepEqual(out.status === 'done' && out.ids, referenceGreedy(typed, 8));
    assert.equal(lm.tokensRun - before, 0, 'all 8 new tokens from stored rows');
    // After a request that stopped on EOS there is nothing to run.
    const eosGen = new PrefixReusingGenerator(new FakeLm(512, { eosAfter: 7 }), fakeCodec, opts);
    await eosGen.generate(encodeFake('abcd'), greedy(10), never);
    assert.equal(await eosGen.prefetch(), 0);
  });

  it('typing something else than the suggestion falls back to prefix reuse, with the right output', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const p = encodeFake('let y = ');
    const first = await gen.generate(p, greedy(6), never);
    if (first.status !== 'done') throw new Error('cancelled');
    const other = first.ids[0] === 2 ? 3 : 2;
    const typed = [...p, other];
    const before = lm.tokensRun;
    const out = await gen.generate(typed, greedy(6), never);
    assert.deepEqual(out.status === 'done' && out.ids, referenceGreedy(typed, 6));
    assert.equal(out.status === 'done' && out.timings.reusedTokens, p.length);
    assert.equal(lm.tokensRun - before, 1 + 5, 'the typed token, then 5 decode steps');
  });

  it('sampled: a replayed request draws the same tokens as a cold request with the same seed', async () => {
    const sampled = (seed: number): GenerationOptions => ({ maxNewTokens: 10, temperature: 0.7, topK: 5, topP: 0.9, seed, stop: [] });
    const p = encodeFake('function f');
    for (const seed of [1, 2, 3, 4, 5]) {
      const gen = new PrefixReusingGenerator(new FakeLm(512, { spread: true }), fakeCodec, opts);
      const first = await gen.generate(p, sampled(seed), never);
      if (first.status !== 'done') throw new Error('cancelled');
      const typed = [...p, ...first.ids.slice(0, 2)];
      const replayed = await gen.generate(typed, sampled(seed + 100), never);
      const cold = await new PrefixReusingGenerator(new FakeLm(512, { spread: true }), fakeCodec, opts).generate(typed, sampled(seed + 100), never);
      assert.deepEqual(replayed.status === 'done' && replayed.ids, cold.status === 'done' && cold.ids, `seed ${seed}`);
    }
  });

  it('typed text that spells the suggestion in other tokens (BPE boundaries) is aligned to the model\'s tokens and replayed', async () => {
    const heal = (maxNewTokens: number): GenerationOptions => ({ ...greedy(maxNewTokens), heal: true });
    let checked = 0;
    for (const start of ['xyz', 'foo', 'ifq', 'return', 'lets', 'const', 'while', 'fn']) {
      const lm = mergedAb(new FakeLm());
      const gen = new PrefixReusingGenerator(lm, mergedCodec, opts);
      const first = await gen.generate(encodeFake(start), heal(12), never);
      if (first.status !== 'done') throw new Error('cancelled');
      const at = first.text.indexOf('ab');
      if (at < 0 || at > 6 || first.ids.indexOf(MERGED_AB) < 0) continue; // this start does not suggest "ab" early
      // The user types the suggestion up to and including "ab"; the encoder spells it "a", "b".
      const typed = start + first.text.slice(0, at + 2);
      assert.ok(!encodeFake(typed).includes(MERGED_AB));
      const before = lm.tokensRun;
      const out = await gen.generate(encodeFake(typed), heal(12), never);
      if (out.status !== 'done') throw new Error('cancelled');
      const rest = first.text.slice(at + 2);
      assert.equal(out.text.slice(0, rest.length), rest, `${start}: the rest of the suggestion`);
      assert.ok(lm.tokensRun - before <= at + 3, `${start}: ran ${lm.tokensRun - before} tokens; a fresh request runs ${typed.length + 11}`);
      checked++;
    }
    assert.ok(checked >= 2, `${checked} starts suggested "ab"`);
  });

  it('sampled: typing along the suggestion keeps the rest of it, and runs the model only past it', async () => {
    const sampled: GenerationOptions = { maxNewTokens: 10, temperature: 0.7, topK: 5, topP: 0.9, seed: 7, stop: [] };
    const lm = new FakeLm(512, { spread: true });
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const p = encodeFake('while (');
    const first = await gen.generate(p, sampled, never);
    if (first.status !== 'done') throw new Error('cancelled');
    for (let typedCount = 1; typedCount <= 3; typedCount++) {
      const before = lm.tokensRun;
      const out = await gen.generate([...p, ...first.ids.slice(0, typedCount)], sampled, never);
      if (out.status !== 'done') throw new Error('cancelled');
      assert.deepEqual(out.ids.slice(0, 10 - typedCount), first.ids.slice(typedCount), `after typing ${typedCount} suggested tokens`);
      // each request stores its rows: the next one replays them and runs only the previous suggestion's last token
      assert.equal(lm.tokensRun - before, 1, 'only the token past the stored rows');
    }
  });

  it('a cache that cannot be cut (recurrent state) is dropped, and output stays right', async () => {
    const lm = new FakeLm(512, { recurrent: true });
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    await gen.generate(encodeFake('abcdef'), greedy(3), never);
    const b = encodeFake('abcdxy');
    const out = await gen.generate(b, greedy(3), never);
    assert.equal(out.status === 'done' && out.timings.reusedTokens, 0);
    assert.deepEqual(out.status === 'done' && out.ids, referenceGreedy(b, 3));
  });

  it('stops on EOS, on a stop string (not returned), and when the context is full', async () => {
    const eosLm = new FakeLm(512, { eosAfter: 7 });
    const e = await new PrefixReusingGenerator(eosLm, fakeCodec, opts).generate(encodeFake('abcd'), greedy(10), never);
    assert.equal(e.status === 'done' && e.stopReason, 'eos');
    assert.equal(e.status === 'done' && e.ids.length, 3);

    const lm = new FakeLm();
    const p = encodeFake('abcd');
    const full = referenceGreedy(p, 30);
    const text = fakeCodec.decode(full);
    const stop = text.slice(5, 7);
    const s = await new PrefixReusingGenerator(lm, fakeCodec, opts).generate(p, greedy(30, [stop]), never);
    assert.equal(s.status === 'done' && s.stopReason, 'stop');
    assert.equal(s.status === 'done' && s.text, text.slice(0, text.indexOf(stop)));

    const small = new FakeLm(12);
    const c = await new PrefixReusingGenerator(small, fakeCodec, opts).generate(encodeFake('abcdefgh'), greedy(4), never);
    assert.equal(c.status === 'done' && c.stopReason, 'maxTokens');
    // 10 new tokens cannot fit: the prompt keeps its newest 6 tokens and generation stops at 12.
    const c2 = await new PrefixReusingGenerator(small, fakeCodec, opts).generate(encodeFake('abcdefgh'), greedy(10), never);
    assert.equal(c2.status === 'done' && c2.stopReason, 'contextFull');
    assert.equal(c2.status === 'done' && c2.timings.promptTokens + c2.ids.length, 12);
  });

  it('prefills in chunks and stops between forward calls when cancelled', async () => {
    const lm = new FakeLm();
    const gen = new PrefixReusingGenerator(lm, fakeCodec, opts);
    const prompt = encodeFake('abcdefghijklmnopqrstuvwxyzabcdefghij'); // 36 tokens, chunks of 8
    let calls = 0;
    const out = await gen.generate(prompt, greedy(10), () => ++calls > 2);
    assert.equal(out.status, 'cancelled');
    assert.deepEqual(lm.calls.map((c) => c.length), [8, 8]);
    // The cache keeps what did run: the next request continues from there.
    assert.equal(gen.cachedTokenIds.length, 16);
    const before = lm.tokensRun;
    const again = await gen.generate(prompt, greedy(2), never);
    assert.equal(again.status === 'done' && again.timings.reusedTokens, 16);
    assert.equal(lm.tokensRun - before, 20 + 1);
  });

  it('token healing takes the last pre-token back and spells it again before the new tokens', async () => {
    // One character per token: "value" is 5 tokens of one pre-token; healing must give exactly the unhealed result.
    const lm = new FakeLm();
    const prompt = encodeFake('const\nvalue');
    const out = await new PrefixReusingGenerator(lm, fakeCodec, opts).generate(prompt, { ...greedy(5), heal: true }, never);
    // The taken-back tokens are generated again (not counted as new tokens), then cut from the text.
    assert.equal(out.status === 'done' && out.text, fakeCodec.decode(referenceGreedy(prompt, 5)));
    assert.deepEqual(out.status === 'done' && out.ids.slice(0, 5), prompt.slice(6));
    assert.deepEqual(lm.calls[0], prompt.slice(0, 6), 'the prefill stops before the pre-token "value"');
    assert.equal(out.status === 'done' && out.timings.promptTokens, prompt.length);
  });

  it('token healing lets a merged token replace a trailing space ("= " + "value" -> " v" token)', async () => {
    const texts = ['', '=', ' ', ' v', 'a', 'l'];
    const codec = textsCodec(texts);
    const lm = tableLm(texts.length, (all, logits) => {
      const last = all[all.length - 1];
      if (last === 1) [logits[3], logits[2], logits[4]] = [5, 4, 3]; // after "=": " v", then " ", then "a"
      else if (last === 2) logits[4] = 5; // after a lone " ": "a"
      else logits[5] = 5; // else "l"
    });
    const prompt = [1, 2]; // "= "
    const plain = await new PrefixReusingGenerator(lm, codec, opts).generate(prompt, greedy(3), never);
    assert.equal(plain.status === 'done' && plain.text, 'all');
    const healed = await new PrefixReusingGenerator(lm, codec, opts).generate(prompt, { ...greedy(3), heal: true }, never);
    assert.equal(healed.status === 'done' && healed.text, 'vlll', 'the " v" token, minus the space already typed, then 3 new tokens');
  });

  it('sampling with a seed is repeatable across generators', async () => {
    const sampled: GenerationOptions = { maxNewTokens: 8, temperature: 1.5, topK: 5, topP: 0.9, seed: 9, stop: [] };
    const run = async () => {
      const out = await new PrefixReusingGenerator(new FakeLm(), fakeCodec, opts).generate(encodeFake('abc'), sampled, never);
      return out.status === 'done' ? out.ids : [];
    };
    assert.deepEqual(await run(), await run());
  });
});

describe('engine/generate: line stop (multi-line requests end where post-processing would cut)', () => {
  // A scripted model: each step emits the next token of `script`, whatever the prompt.
  const texts = ['', 'cx', 'cy', ': number;', '\n', '  ', 'return', ' a * b;', '}'];
  const codec = textsCodec(texts);
  // The prompt is 1 token, so the i-th new token is script[i].
  const scripted = (script: number[]) => tableLm(texts.length, (all, logits) => (logits[script[all.length - 1] ?? 0] = 5), 128);
  const context = { linePrefix: '  ', lineSuffix: '', nextLines: ['}'], linesAbove: ['export function multiply(a: number, b: number): number {'], multiline: true };

  it('a line that repeats an earlier line shape stops generation when its line break arrives', async () => {
    const loop = [1, 3, 4, 5, 2, 3, 4, 5, 2, 3, 4, 5, 2, 3, 4];
    const out = await new PrefixReusingGenerator(scripted(loop), codec, opts).generate([6], { ...greedy(30), lineStop: context }, never);
    assert.equal(out.status === 'done' && out.text, 'cx: number;\n  cy: number;');
    assert.equal(out.status === 'done' && out.stopReason, 'stop');
    assert.equal(out.status === 'done' && out.ids.length, 7, 'not the 15 tokens of the loop');
  });

  it('a single-line request stops once a phrase loops, after its first copy', async () => {
    const single = { ...context, multiline: false };
    const out = await new PrefixReusingGenerator(scripted([1, 1, 1, 1, 1, 1, 1, 1]), codec, opts).generate([6], { ...greedy(8, ['\n']), lineStop: single }, never);
    assert.equal(out.status === 'done' && out.text, 'cx');
    assert.equal(out.status === 'done' && out.ids.length, 3, 'stopped when the third copy arrived');
  });

  it('the line closing the block stops it; a good line before it goes on', async () => {
    const body = [6, 7, 4, 8, 4, 6, 7];
    const out = await new PrefixReusingGenerator(scripted(body), codec, opts).generate([6], { ...greedy(30), lineStop: context }, never);
    assert.equal(out.status === 'done' && out.text, 'return a * b;\n}');
    const plain = await new PrefixReusingGenerator(scripted(body), codec, opts).generate([6], greedy(7), never);
    assert.equal(plain.status === 'done' && plain.text, 'return a * b;\n}\nreturn a * b;', 'without the rule it goes on');
  });
});

describe('engine/generate: a fresh line gets a suggestion that shows text', () => {
  const texts = ['', '\n', '  \n', 'return', ' a * b;', ' x'];
  const codec = textsCodec(texts);
  // First step: end-of-text, then "\n", then "  \n", then "return"; after that " a * b;", then end-of-text.
  const lm = tableLm(texts.length, (all, logits) => {
    const step = all.length - 1;
    if (step === 0) [logits[0], logits[1], logits[2], logits[3]] = [4, 3, 2, 1];
    else if (step === 1) logits[4] = 5;
    else logits[0] = 5;
  });
  const fresh = { linePrefix: '    ', lineSuffix: '', nextLines: ['}'], linesAbove: ['function f() {'], multiline: false };

  it('at a line holding only whitespace: end-of-text and line breaks are redrawn until a token shows text', async () => {
    const out = await new PrefixReusingGenerator(lm, codec, opts).generate([5], { ...greedy(8), lineStop: fresh }, never);
    assert.equal(out.status === 'done' && out.text, 'return a * b;');
    assert.equal(out.status === 'done' && out.stopReason, 'eos', 'once text shows, end-of-text ends it as usual');
  });

  it('after text on the line, or without the cursor surroundings, the model ends it as it ranks', async () => {
    for (const lineStop of [{ ...fresh, linePrefix: '    x' }, { ...fresh, lineSuffix: ')' }, undefined]) {
      const out = await new PrefixReusingGenerator(lm, codec, opts).generate([5], { ...greedy(8), ...(lineStop ? { lineStop } : {}) }, never);
      assert.equal(out.status === 'done' && out.text, '', JSON.stringify(lineStop));
    }
  });

  it('endsBeforeText: end-of-text or a line break before visible text, healed text spelled first', () => {
    assert.equal(endsBeforeText('', '', undefined), true);
    assert.equal(endsBeforeText('', '', '\n'), true);
    assert.equal(endsBeforeText('  ', '', ' \n'), true);
    assert.equal(endsBeforeText('', '', '  '), false, 'whitespace without a break may still lead to text');
    assert.equal(endsBeforeText('', '', 'x\n'), false);
    assert.equal(endsBeforeText('x', '', undefined), false, 'text shown: the model may end');
    assert.equal(endsBeforeText('', '    ', '    \n'), true, 'spells the indentation, then breaks the line');
    assert.equal(endsBeforeText('', '    ', '  '), false, 'still spelling the indentation');
    assert.equal(endsBeforeText('', '', ''), false, 'a control token is suppressed elsewhere');
  });
});
