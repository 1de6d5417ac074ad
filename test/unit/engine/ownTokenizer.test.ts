/**
 * The worker encodes with the project's BPE code only where it gives transformers.js's ids: checked on
 * the embedded model's folder over real code, and refused for a folder it cannot read or a tokenizer
 * that encodes otherwise.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { sameTokenizer } from '../../../src/engine/ownTokenizer';

const EMBEDDED = path.resolve(__dirname, '../../../models/localgpt-code-small');

describe('engine/ownTokenizer: our BPE in place of transformers.js where they agree', function () {
  this.timeout(30_000);
  let reference: PreTrainedTokenizer;
  before(async () => {
    reference = await AutoTokenizer.from_pretrained(EMBEDDED, { local_files_only: true });
  });

  it('the embedded model: the same ids and text on real code with FIM tokens inside', () => {
    const ours = sameTokenizer(EMBEDDED, 8192, reference);
    assert.ok(ours);
    const code = fs.readFileSync(path.resolve(__dirname, '../../../bench/fixtures/code-sample.txt'), 'utf8');
    for (let at = 0; at < 60_000; at += 3_000) {
      const text = `<fim_prefix>${code.slice(at, at + 1_000)}<fim_suffix>${code.slice(at + 1_000, at + 1_500)}<fim_middle>`;
      const ids: number[] = ours.encode(text);
      assert.deepEqual(ids, reference.encode(text), `text at ${at}`);
      assert.equal(ours.decode(ids, { skipSpecialTokens: true }), reference.decode(ids, { skip_special_tokens: true }));
    }
  });

  it('null for a tokenizer that encodes the probe otherwise, has fewer ids than the model, or a folder it cannot read', () => {
    const shifted = { encode: (text: string) => reference.encode(text).map((id) => id + 1), decode: reference.decode.bind(reference) };
    assert.equal(sameTokenizer(EMBEDDED, 8192, shifted as unknown as PreTrainedTokenizer), null);
    assert.equal(sameTokenizer(EMBEDDED, 8193, reference), null, 'an id the model can generate would have no text');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'own-tokenizer-'));
    try {
      fs.copyFileSync(path.join(EMBEDDED, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
      fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ clean_up_tokenization_spaces: true }));
      assert.equal(sameTokenizer(dir, 8192, reference), null, 'clean_up_tokenization_spaces would change decoded text');
      assert.equal(sameTokenizer(path.join(dir, 'missing'), 8192, reference), null);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
