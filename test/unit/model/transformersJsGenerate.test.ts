/**
 * An exported folder, loaded offline by @huggingface/transformers 4.x the way the engine loads it,
 * generates exactly the tokens of the reference greedy loop.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withAttentionOutputs } from '../../../src/model/attentionGraph';
import { GptConfig } from '../../../src/model/config';
import { exportModelFolder } from '../../../src/model/export/hfFolder';
import { argmax, forward, generateGreedy } from '../../../src/model/gpt';
import { randomModel } from '../../../src/model/random';
import { BpeTokenizer } from '../../../src/model/tokenizer';
import { maxAbsDiff } from './fixtures/runtimes';
import { writeTestTokenizer } from './fixtures/tokenizer';

type Transformers = typeof import('@huggingface/transformers');
type Tensor = import('@huggingface/transformers').Tensor;

const config: GptConfig = { vocab_size: 300, n_positions: 64, n_embd: 32, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
const weights = randomModel(config, 21, { std: 0.3 });
const PROMPTS = ['function add(a, b) {\n  return', 'for (let i = 0; i <'];

const ids = (t: Tensor): number[] => Array.from(t.data as BigInt64Array, Number);

describe('exported folder in @huggingface/transformers', function () {
  let tmp: string;
  let folder: string;
  let tf: Transformers;
  let tokenizer: BpeTokenizer;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-gpt-tjs-'));
    tokenizer = writeTestTokenizer(path.join(tmp, 'tokenizer'), config.vocab_size);
    folder = path.join(tmp, 'model');
    exportModelFolder({ config, weights, tokenizerDir: path.join(tmp, 'tokenizer'), outDir: folder });
    tf = await import('@huggingface/transformers');
    tf.env.allowRemoteModels = false;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('AutoTokenizer reads the copied tokenizer files and encodes like our tokenizer', async () => {
    const tok = await tf.AutoTokenizer.from_pretrained(folder);
    for (const p of PROMPTS) assert.deepEqual(ids(tok(p, { add_special_tokens: false }).input_ids), tokenizer.encode(p));
  });

  it("the tokenizer's model_max_length is the model's context length (the tokenizer directory said 1024), other keys kept", async () => {
    const source = JSON.parse(fs.readFileSync(path.join(tmp, 'tokenizer', 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(source.model_max_length, 1024);
    const tok = await tf.AutoTokenizer.from_pretrained(folder);
    assert.equal(tok.model_max_length, config.n_positions);
    const exported = JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(exported, { ...source, model_max_length: 64 });
  });

  it('dtype fp32 (onnx/model.onnx): greedy generate() gives the reference greedy tokens', async () => {
    const tok = await tf.AutoTokenizer.from_pretrained(folder);
    const model = await tf.AutoModelForCausalLM.from_pretrained(folder, { dtype: 'fp32' });
    try {
      for (const p of PROMPTS) {
        const prompt = tokenizer.encode(p);
        const out = (await model.generate({ ...tok(p, { add_special_tokens: false }), max_new_tokens: 20, do_sample: false })) as Tensor;
        const expected = generateGreedy(config, weights, prompt, 20);
        assert.ok(expected.length >= 10, 'the reference did not stop almost at once (eos), so the comparison means something');
        assert.deepEqual(ids(out).slice(prompt.length), expected, p);
      }
    } finally {
      await model.dispose();
    }
  });

  it('dtype q8 (onnx/model_quantized.onnx): loads and mostly agrees with the reference on the top token', async () => {
    const model = await tf.AutoModelForCausalLM.from_pretrained(folder, { dtype: 'q8' });
    try {
      // Teacher-forced over a 60-token text: top-1 of the quantized logits vs the reference.
      const text = tokenizer.encode(PROMPTS.join('\n') + ' 10; i++) {\n  console.log(add(i, i * 2));\n}\n').slice(0, 60);
      const T = text.length;
      const input_ids = new tf.Tensor('int64', BigInt64Array.from(text.map(BigInt)), [1, T]);
      const { logits } = (await model({ input_ids, attention_mask: tf.ones([1, T]) })) as { logits: Tensor };
      const ref = forward(config, weights, text).logits;
      const V = config.vocab_size;
      let agree = 0;
      for (let t = 0; t < T; t++) agree += Number(argmax(logits.data as Float32Array, t * V, V) === argmax(ref, t * V, V));
      assert.ok(agree / T >= 0.9, `top-1 agreement ${agree}/${T}`);
      const spread = Math.max(...ref) - Math.min(...ref);
      assert.ok(maxAbsDiff(logits.data as Float32Array, ref) < 0.1 * spread, 'logits are close, not just the argmax');
    } finally {
      await model.dispose();
    }
  });

  it('a separate model_attentions.onnx (the layout of other exporters) loads by model_file_name and returns decoder_attentions equal to the reference', async () => {
    const fp32File = path.join(folder, 'onnx', 'model.onnx');
    fs.writeFileSync(path.join(folder, 'onnx', 'model_attentions.onnx'), withAttentionOutputs(fs.readFileSync(fp32File), fp32File).bytes);
    const model = await tf.AutoModelForCausalLM.from_pretrained(folder, { dtype: 'fp32', model_file_name: 'model_attentions' });
    try {
      const prompt = tokenizer.encode(PROMPTS[0]);
      const T = prompt.length;
      const out = (await model({ input_ids: new tf.Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, T]), attention_mask: tf.ones([1, T]) })) as Record<string, Tensor>;
      const ref = forward(config, weights, prompt);
      for (let i = 0; i < config.n_layer; i++) {
        const a = out[`decoder_attentions.${i}`];
        assert.deepEqual(a.dims, [1, config.n_head, T, T]);
        assert.ok(maxAbsDiff(a.data as Float32Array, ref.attentions[i]) <= 1e-4);
      }
    } finally {
      await model.dispose();
    }
  });
});
