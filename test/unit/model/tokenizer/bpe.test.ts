import { strict as assert } from 'node:assert';
import {
  BpeTokenizer,
  END_OF_TEXT,
  END_OF_TEXT_ID,
  FIM_MIDDLE_ID,
  FIM_PREFIX,
  FIM_PREFIX_ID,
  FIM_SUFFIX_ID,
  FIRST_BYTE_ID,
  countWords,
  preTokenize,
  trainBpe,
  trainBpeOnWordCounts,
} from '../../../../src/model/tokenizer';
import { BYTE_TO_UNICODE, UNICODE_TO_BYTE } from '../../../../src/model/tokenizer/byteLevel';
import { ADVERSARIAL, INDENTED_CODE, randomStrings, trainingTexts, wellFormed } from './fixtures';

describe('byte-level BPE tokenizer', () => {
  const model = trainBpe(trainingTexts(), { vocabSize: 700 });
  const tokenizer = new BpeTokenizer(model);

  it('maps all 256 bytes to distinct printable characters, space to Ġ as in GPT-2', () => {
    assert.equal(new Set(BYTE_TO_UNICODE).size, 256);
    assert.equal(BYTE_TO_UNICODE[0x20], 'Ġ');
    assert.equal(BYTE_TO_UNICODE[0x0a], 'Ċ');
    assert.equal(BYTE_TO_UNICODE[0x41], 'A');
    for (let b = 0; b < 256; b++) assert.equal(UNICODE_TO_BYTE.get(BYTE_TO_UNICODE[b]), b);
  });

  it('lays out ids as specials, then the 256 bytes in byte order, then merges', () => {
    assert.deepEqual(model.vocab.slice(0, 4), ['<|endoftext|>', '<fim_prefix>', '<fim_middle>', '<fim_suffix>']);
    assert.deepEqual(model.specialIds, [0, 1, 2, 3]);
    assert.equal(model.vocab[FIRST_BYTE_ID + 0x61], 'a');
    assert.equal(model.vocab.length, 700);
    assert.equal(model.merges.length, 700 - 260);
    assert.deepEqual(tokenizer.encode('a'), [FIRST_BYTE_ID + 0x61]);
  });

  it('pre-tokenizes code into words with one leading space and keeps newline + indentation together', () => {
    assert.deepEqual([...preTokenize('if (x) {\n    return 42;\n}')], ['if', ' (', 'x', ')', ' {', '\n   ', ' return', ' 4', '2', ';', '\n', '}']);
    assert.deepEqual([...preTokenize('a  \tb  ')], ['a', '  ', '\t', 'b', '  ']);
    for (const s of [...ADVERSARIAL, ...randomStrings(200, 1)]) assert.equal([...preTokenize(s)].join(''), s);
  });

  it('decode(encode(s)) gives back s for adversarial and random text', () => {
    for (const s of [...ADVERSARIAL, ...randomStrings(300, 2)]) {
      assert.equal(tokenizer.decode(tokenizer.encodeOrdinary(s)), wellFormed(s), JSON.stringify(s.slice(0, 80)));
      assert.equal(tokenizer.decode(tokenizer.encode(s)), wellFormed(s), JSON.stringify(s.slice(0, 80)));
    }
  });

  it('turns lone surrogates into U+FFFD like transformers.js (TextEncoder) does', () => {
    assert.equal(tokenizer.decode(tokenizer.encode('a\uD800b')), 'a\uFFFDb');
    assert.deepEqual(tokenizer.encode('\uD800'), tokenizer.encode('\uFFFD'));
  });

  it('encode gives special ids for special-token text; encodeOrdinary never does', () => {
    const text = `x${END_OF_TEXT}y${FIM_PREFIX}<fim_middle><fim_suffix>`;
    const ids = tokenizer.encode(text);
    assert.deepEqual(ids.filter((id) => id < FIRST_BYTE_ID), [END_OF_TEXT_ID, FIM_PREFIX_ID, FIM_MIDDLE_ID, FIM_SUFFIX_ID]);
    assert.ok(tokenizer.encodeOrdinary(text).every((id) => id >= FIRST_BYTE_ID));
    assert.equal(tokenizer.decode(tokenizer.encodeOrdinary(text)), text);
    assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'xy');
  });

  it('learns indentation: a newline plus 12 spaces costs far fewer tokens than bytes', () => {
    const indented = '\n            console';
    const ids = tokenizer.encodeOrdinary(indented);
    assert.ok(ids.length <= 3, `${ids.length} tokens: ${ids.map((id) => JSON.stringify(tokenizer.decode([id]))).join(' ')}`);
    const code = tokenizer.encodeOrdinary(INDENTED_CODE);
    assert.ok(Buffer.byteLength(INDENTED_CODE) / code.length > 4, `bytes/token ${Buffer.byteLength(INDENTED_CODE) / code.length}`);
  });

  it('trains deterministically and stops early at minFrequency', () => {
    const again = trainBpe(trainingTexts(), { vocabSize: 700 });
    assert.deepEqual(again, model);
    const small = trainBpeOnWordCounts(countWords(['abab abab cdcd']), { vocabSize: 1000, minFrequency: 2 });
    // ' abab' twice + 'abab' once: merges stop once every remaining pair occurs once.
    assert.ok(small.vocab.length < 270, `vocab ${small.vocab.length}`);
    assert.ok(small.vocab.includes('abab'));
    assert.throws(() => trainBpe([], { vocabSize: 100 }), /vocabSize must be an integer from 260/);
  });

  it('merges the most frequent pair first, ties to the smaller ids', () => {
    const m = trainBpe(['xy xy xy xy ab ab'], { vocabSize: 261 });
    assert.deepEqual(m.merges, [[FIRST_BYTE_ID + 0x78, FIRST_BYTE_ID + 0x79]]); // 'xy' 4 times, 'Ġx' 3 times
    assert.equal(m.vocab[260], 'xy');
    const tie = trainBpe(['ab cd'], { vocabSize: 261, minFrequency: 1 });
    assert.deepEqual(tie.merges, [[FIRST_BYTE_ID + 0x20, FIRST_BYTE_ID + 0x63]]); // 'Ġc': space sorts first
  });

  it('encodes a 1 MB file and decodes it back exactly', () => {
    const big = INDENTED_CODE.repeat(Math.ceil(1e6 / INDENTED_CODE.length));
    const ids = tokenizer.encodeOrdinary(big);
    assert.equal(tokenizer.decode(ids), big);
  });

  it('rejects malformed models and out-of-range ids with a message', () => {
    assert.throws(() => new BpeTokenizer({ ...model, vocab: model.vocab.slice(0, 100) }), /no token for byte|merge/);
    assert.throws(() => new BpeTokenizer({ ...model, merges: [[5, 99999]] }), /merge 0 \(5, 99999\)/);
    assert.throws(() => tokenizer.decode([700]), /token id 700 is outside the vocabulary \(size 700\)/);
    assert.throws(() => tokenizer.decode([-1]), RangeError);
  });
});
