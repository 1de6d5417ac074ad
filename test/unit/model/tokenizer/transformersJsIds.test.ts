import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpeTokenizer, trainBpe, writeTokenizerFiles } from '../../../../src/model/tokenizer';
import { ADVERSARIAL, INDENTED_CODE, randomStrings, rng, trainingTexts } from './fixtures';

/** The slice of the transformers.js tokenizer API these tests use. */
interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
}

/**
 * The model is trained on ids from our encoder and run on ids from transformers.js, so both must agree
 * exactly, on encode and on decode.
 */
describe('tokenizer files load in transformers.js with identical ids', function () {
  this.timeout(60_000);
  let dir: string;
  let ours: BpeTokenizer;
  let hf: HfTokenizer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'localgpt-tokenizer-'));
    const model = trainBpe(trainingTexts(), { vocabSize: 800 });
    writeTokenizerFiles(dir, model);
    ours = new BpeTokenizer(model);
    const { AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    // An absolute path is not a Hub model id, so v4 reads the folder directly (no localModelPath prefix).
    hf = (await AutoTokenizer.from_pretrained(dir)) as unknown as HfTokenizer;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const texts = (): string[] => [...ADVERSARIAL, ...randomStrings(400, 7), ...trainingTexts().slice(0, 3), INDENTED_CODE];

  it('encodes to the same ids (special-token text included)', () => {
    for (const text of texts()) {
      assert.deepEqual(ours.encode(text), hf.encode(text, { add_special_tokens: false }), JSON.stringify(text.slice(0, 80)));
    }
  });

  it('adds no bos/eos of its own', () => {
    assert.deepEqual(hf.encode('let x = 1;'), ours.encode('let x = 1;'));
  });

  it('decodes to the same text, also for id sequences that split UTF-8 characters', () => {
    for (const text of texts()) {
      const ids = ours.encode(text);
      if (ids.length === 0) continue; // transformers.js rejects an empty id list
      assert.equal(ours.decode(ids), hf.decode(ids), JSON.stringify(text.slice(0, 80)));
      assert.equal(ours.decode(ids, { skipSpecialTokens: true }), hf.decode(ids, { skip_special_tokens: true }));
    }
    const next = rng(3);
    for (let i = 0; i < 300; i++) {
      const ids = Array.from({ length: 1 + Math.floor(next() * 12) }, () => Math.floor(next() * ours.vocabSize));
      assert.equal(ours.decode(ids), hf.decode(ids), `ids ${ids.join(',')}`);
    }
  });
});
