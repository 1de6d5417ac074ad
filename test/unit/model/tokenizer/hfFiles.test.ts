import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTokenizerFiles, trainBpe, writeTokenizerFiles } from '../../../../src/model/tokenizer';
import { ADVERSARIAL, trainingTexts } from './fixtures';

describe('tokenizer.json / tokenizer_config.json', () => {
  const model = trainBpe(trainingTexts(), { vocabSize: 600 });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'localgpt-hffiles-'));
    writeTokenizerFiles(dir, model, { modelMaxLength: 512 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const readJson = (name: string): Record<string, any> => JSON.parse(readFileSync(join(dir, name), 'utf8'));

  it('writes the HF BPE layout: specials as added tokens, Split + ByteLevel pre-tokenizer, ByteLevel decoder', () => {
    const json = readJson('tokenizer.json');
    assert.equal(json.model.type, 'BPE');
    assert.equal(Object.keys(json.model.vocab).length, 600);
    assert.equal(json.model.vocab['<|endoftext|>'], 0);
    assert.equal(json.model.merges.length, 340);
    assert.deepEqual(
      json.added_tokens.map((t: { id: number; content: string; special: boolean }) => [t.id, t.content, t.special]),
      [[0, '<|endoftext|>', true], [1, '<fim_prefix>', true], [2, '<fim_middle>', true], [3, '<fim_suffix>', true]],
    );
    assert.deepEqual(json.pre_tokenizer.pretokenizers.map((p: { type: string }) => p.type), ['Split', 'ByteLevel']);
    assert.equal(json.pre_tokenizer.pretokenizers[0].behavior, 'Isolated');
    assert.equal(json.pre_tokenizer.pretokenizers[1].use_regex, false);
    assert.equal(json.pre_tokenizer.pretokenizers[1].add_prefix_space, false);
    assert.equal(json.decoder.type, 'ByteLevel');
    const config = readJson('tokenizer_config.json');
    assert.equal(config.tokenizer_class, 'GPT2Tokenizer');
    assert.equal(config.eos_token, '<|endoftext|>');
    assert.equal(config.pad_token, '<|endoftext|>');
    assert.equal(config.add_bos_token, false);
    assert.equal(config.model_max_length, 512);
  });

  it('reads back a tokenizer that encodes exactly like the trained model', () => {
    const loaded = readTokenizerFiles(dir);
    assert.deepEqual(loaded.model.vocab, model.vocab);
    assert.deepEqual(loaded.model.merges, model.merges);
    for (const s of ADVERSARIAL) assert.equal(loaded.decode(loaded.encode(s)), Buffer.from(s).toString());
  });

  it('names the missing file', () => {
    rmSync(join(dir, 'tokenizer.json'));
    assert.throws(() => readTokenizerFiles(dir), (e: Error) => e.message.startsWith(join(dir, 'tokenizer.json')) && /cannot read/.test(e.message));
    rmSync(join(dir, 'tokenizer_config.json'));
    assert.throws(() => readTokenizerFiles(dir), /tokenizer_config\.json: cannot read/);
  });

  it('names the file and the problem when it is corrupt', () => {
    const file = join(dir, 'tokenizer.json');
    const json = readJson('tokenizer.json');
    writeFileSync(file, '{"model": ');
    assert.throws(() => readTokenizerFiles(dir), /tokenizer\.json: not valid JSON/);

    json.model.merges[3] = ['Ġ', 'no-such-token'];
    writeFileSync(file, JSON.stringify(json));
    assert.throws(() => readTokenizerFiles(dir), /tokenizer\.json: model\.merges\[3\] .* names a token missing from model\.vocab/);
  });

  it('refuses a different pre-tokenizer rather than encoding differently from transformers.js', () => {
    const json = readJson('tokenizer.json');
    json.pre_tokenizer.pretokenizers[0].pattern.Regex = '\\s+';
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    assert.throws(() => readTokenizerFiles(dir), /tokenizer\.json: pre_tokenizer must be Sequence\[Split/);
  });

  it('refuses clean_up_tokenization_spaces, which would change decoded code', () => {
    const file = join(dir, 'tokenizer_config.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), clean_up_tokenization_spaces: true }));
    assert.throws(() => readTokenizerFiles(dir), /tokenizer_config\.json: clean_up_tokenization_spaces must be false/);
  });
});
