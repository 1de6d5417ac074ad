import { strict as assert } from 'node:assert';
import { PrefixReusingGenerator } from '../../../src/engine/generate';
import type { GenerationOptions } from '../../../src/engine/protocol';
import { MAX_HEALED_TOKENS, backOffToBoundary, maskToHealing, remainingAfter } from '../../../src/engine/tokenBoundary';
import { BpeTokenizer } from '../../../src/model/tokenizer';
import { trainTestTokenizer } from '../model/fixtures/tokenizer';
import { tableLm } from './fakeLm';

// The fixture tokenizer (byte-level BPE, 300 tokens, trained on a few lines of code): its ids are fixed by its training text.
const tokenizer = new BpeTokenizer(trainTestTokenizer(300));
const texts = Array.from({ length: 300 }, (_, id) => tokenizer.decode([id]));
const NL_SPACE = 261; // "\n "
const SPACE = 36; // " "
const RETURN = 272; // " return"

describe('engine/tokenBoundary: the prompt backs off to a token boundary', () => {
  it('the fixture ids this file relies on', () => {
    assert.deepEqual([texts[NL_SPACE], texts[SPACE], texts[RETURN]], ['\n ', ' ', ' return']);
  });

  const cases: [string, string, number[], string][] = [
    // After Enter: the indentation "\n␣␣" is one pre-token only while nothing follows it; the typed line
    // will be "\n␣" + "␣return", so "\n␣" goes back into the prompt and the last space is healed.
    ['indentation after Enter', 'function add(a, b) {\n  ', [292, 287, 44, 101, 48, 263, 45, 266, NL_SPACE], ' '],
    ['a partial identifier', '  retu', [36], ' retu'],
    ['a partial identifier after a bracket', 'greet(na', [107, 118, 105, 260, 44], 'na'],
    ['a partial operator', 'for (let i = 0; i <', [106, 284, 295, 112, 260, 264, 36, 65, 297, 63, 264], ' <'],
    ['a trailing space', 'for (let i = 0; i < ', [106, 284, 295, 112, 260, 264, 36, 65, 297, 63, 264, 36, 64], ' '],
    ['a line break', 'f(i);\n', [106, 44, 109, 45, 63], '\n'],
  ];
  for (const [what, text, ids, healed] of cases) {
    it(`${what}: ${JSON.stringify(text)} -> heal ${JSON.stringify(healed)}`, () => {
      const prompt = tokenizer.encode(text);
      assert.deepEqual(backOffToBoundary(prompt, texts), { ids, healed });
      assert.equal(tokenizer.decode(ids) + healed, text);
    });
  }

  it('keeps at least one prompt token, takes back at most MAX_HEALED_TOKENS, and stops at a special token', () => {
    assert.deepEqual(backOffToBoundary([121], texts), { ids: [121], healed: '' });
    const long = tokenizer.encode(` ${'x'.repeat(40)}`); // one pre-token of many tokens
    const { ids, healed } = backOffToBoundary([SPACE, ...long], texts);
    assert.equal(long.length - (ids.length - 1), MAX_HEALED_TOKENS);
    assert.equal(healed, tokenizer.decode(long.slice(-MAX_HEALED_TOKENS)));
    assert.deepEqual(backOffToBoundary([SPACE, 0, 121], texts), { ids: [SPACE, 0], healed: 'u' });
    assert.deepEqual(backOffToBoundary([0, 121], texts), { ids: [0], healed: 'u' });
  });

  it('the constraint allows prefixes of the healed text and tokens that start with all of it', () => {
    const row = new Float32Array(300);
    maskToHealing(row, '\n  ', texts);
    const allowed = [...row.keys()].filter((id) => row[id] === 0).map((id) => texts[id]);
    assert.ok(allowed.includes('\n') && allowed.includes('\n '), 'prefixes');
    for (const t of allowed) assert.ok('\n  '.startsWith(t) || t.startsWith('\n  '), JSON.stringify(t));
    assert.ok(!allowed.includes(''), 'special tokens never');
    assert.ok(!allowed.includes('\n  '), 'not the whole run as one token: "\\n␣␣" + "return" never occurs in training');
    assert.equal(remainingAfter('\n  ', '\n '), ' ');
    assert.equal(remainingAfter(' ', ' return'), '');
  });
  it('a healed space must start the next token: a lone " " before text never occurs in training', () => {
    const row = new Float32Array(300);
    maskToHealing(row, ' ', texts);
    const allowed = [...row.keys()].filter((id) => row[id] === 0).map((id) => texts[id]);
    assert.ok(allowed.includes(' return'));
    assert.ok(!allowed.includes(' '));
    assert.ok(allowed.every((t) => t.startsWith(' ') && t.length > 1), JSON.stringify(allowed));
  });

  it('indentation by tabs goes back into the prompt whole: "\\n\\t" + "\\t", nothing healed', () => {
    const tabTexts = ['', 'x', '{', '\n', '\t', '\n\t', '\n\t\t'];
    assert.deepEqual(backOffToBoundary([1, 2, 6], tabTexts), { ids: [1, 2, 5, 4], healed: '' });
    // No token for the run but its last character: the whole run is healed, as before.
    assert.deepEqual(backOffToBoundary([1, 2, 6], ['', 'x', '{', '\n', '\t', '\n\t\t', '\n\t\t']), { ids: [1, 2], healed: '\n\t\t' });
  });
});

describe('engine/tokenBoundary: healing in the generation loop', () => {
  // A model that learned "{" "\n␣" "␣return" "␣a" ...: the next token depends on the last one only.
  const next: Record<number, number> = { 266: NL_SPACE, [NL_SPACE]: RETURN, [SPACE]: SPACE, [RETURN]: 262, 262: 273, 273: 263, 263: 63, 63: 0 };
  const lm = tableLm(300, (all, logits) => {
    logits[next[all[all.length - 1]] ?? SPACE] = 5;
    logits[SPACE] = Math.max(logits[SPACE], 1); // a lone space is always somewhat likely
  });
  const codec = { decode: (ids: readonly number[]) => tokenizer.decode([...ids]), tokenTexts: texts };
  const greedy: GenerationOptions = { maxNewTokens: 8, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };
  const opts = { prefillChunk: 64, now: () => 0 };
  const prompt = tokenizer.encode('function add(a, b) {\n  ');

  it('at a fresh line the model continues through its own token boundary: "\\n␣" + "␣return", shown as "return …"', async () => {
    const healed = await new PrefixReusingGenerator(lm, codec, opts).generate(prompt, { ...greedy, heal: true }, () => false);
    assert.equal(healed.status === 'done' && healed.text, 'return a + b;');
    assert.deepEqual(healed.status === 'done' && healed.ids, [RETURN, 262, 273, 263, 63]);
    const plain = await new PrefixReusingGenerator(lm, codec, opts).generate(prompt, greedy, () => false);
    assert.equal(plain.status === 'done' && plain.text, ' '.repeat(8), 'without healing it never leaves the unseen boundary');
  });
});
