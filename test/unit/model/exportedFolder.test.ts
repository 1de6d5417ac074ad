/**
 * training/export.ts writes the folder layout of docs/ARCHITECTURE.md, and checkExportedFolder
 * rejects broken folders with a message naming the file and the problem.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExport } from '../../../training/export';
import { GptConfig } from '../../../src/model/config';
import { checkExportedFolder } from '../../../src/model/exportedFolder';
import { readOnnxInfo } from '../../../src/model/onnxInfo';
import { randomModel } from '../../../src/model/random';
import { writeWeights } from '../../../src/model/weights';
import { writeTestTokenizer } from './fixtures/tokenizer';

const config: GptConfig = { vocab_size: 300, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };

describe('model folder: export CLI and checkExportedFolder', () => {
  let tmp: string;
  let trainerDir: string;
  let tokenizerDir: string;
  let good: string;
  let n = 0;
  /** A copy of the good folder to break. */
  const copy = (): string => {
    const dir = path.join(tmp, `case${n++}`);
    fs.cpSync(good, dir, { recursive: true });
    return dir;
  };
  const editJson = (file: string, edit: (j: Record<string, unknown>) => void): void => {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(j);
    fs.writeFileSync(file, JSON.stringify(j));
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-gpt-folder-'));
    trainerDir = path.join(tmp, 'final');
    tokenizerDir = path.join(tmp, 'tokenizer');
    fs.mkdirSync(trainerDir);
    writeTestTokenizer(tokenizerDir, config.vocab_size);
    // What the trainer writes: HF GPT-2 keys plus its own (fim, val_loss).
    fs.writeFileSync(path.join(trainerDir, 'config.json'), JSON.stringify({ model_type: 'gpt2', ...config, fim: true, val_loss: 2.5 }));
    writeWeights(path.join(trainerDir, 'model.safetensors'), config, randomModel(config, 5));
    good = path.join(tmp, 'models', 'tiny');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('export writes the Hugging Face layout and checks it against the reference', async () => {
    const lines: string[] = [];
    const { files, verify } = await runExport({ weights: trainerDir, tokenizer: tokenizerDir, out: good, log: (l) => lines.push(l) });
    assert.deepEqual(files.map((f) => f.path).sort(), [
      'README.md',
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'onnx/model.onnx',
      'onnx/model_quantized.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    assert.ok(verify && verify.fp32MaxAbsDiff < 1e-4 && verify.attentionsMaxAbsDiff < 1e-4, JSON.stringify(verify));
    assert.ok(lines.some((l) => l.startsWith('verified on onnxruntime-node')));
    assert.deepEqual(fs.readFileSync(path.join(good, 'model.safetensors')), fs.readFileSync(path.join(trainerDir, 'model.safetensors')), 'weights copied byte for byte');
    assert.deepEqual(fs.readFileSync(path.join(good, 'tokenizer.json')), fs.readFileSync(path.join(tokenizerDir, 'tokenizer.json')));

    const cfg = JSON.parse(fs.readFileSync(path.join(good, 'config.json'), 'utf8'));
    assert.equal(cfg.model_type, 'gpt2');
    assert.deepEqual(cfg.architectures, ['GPT2LMHeadModel']);
    assert.equal(cfg.n_ctx, config.n_positions);
    assert.equal(cfg.activation_function, 'gelu_new');
    assert.equal(cfg.use_cache, true);
    assert.equal(cfg.fim, true, "the trainer's extra keys are kept");
    const gen = JSON.parse(fs.readFileSync(path.join(good, 'generation_config.json'), 'utf8'));
    assert.equal(gen.eos_token_id, 0);
    assert.match(fs.readFileSync(path.join(good, 'README.md'), 'utf8'), /onnx\/model_quantized\.onnx/);
    // int8 weights: the quantized graph is much smaller than the fp32 one (not 1/4: at this width, 32, the
    // nodes that quantize activations per token weigh about as much as the weights).
    const size = (f: string): number => files.find((x) => x.path === f)!.bytes;
    assert.ok(size('onnx/model_quantized.onnx') < 0.5 * size('onnx/model.onnx'), `${size('onnx/model_quantized.onnx')} vs ${size('onnx/model.onnx')} bytes`);
  });

  it('checkExportedFolder describes a good folder', () => {
    const m = checkExportedFolder(good, { dtype: 'q8' });
    assert.deepEqual(m.config, config);
    assert.deepEqual(m.dtypes, ['fp32', 'q8']);
    assert.equal(m.attentionsFile, undefined, 'no separate attention graph: the worker derives it');
    assert.ok(m.tokenizerVocabSize <= config.vocab_size);
    const info = readOnnxInfo(path.join(good, 'onnx/model.onnx'));
    assert.deepEqual(info.opsets, [{ domain: '', version: 17 }]);
    assert.deepEqual(info.inputs.find((i) => i.name === 'past_key_values.1.value')?.dims, ['batch_size', 4, 'past_sequence_length', 8]);
    assert.deepEqual(info.outputs.map((o) => o.name), ['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value', 'new_key_values.0.key', 'new_key_values.0.value', 'new_key_values.1.key', 'new_key_values.1.value']);
    assert.deepEqual(info.inputs.find((i) => i.name === 'num_logits_to_keep')?.dims, []);
  });

  describe('export refuses bad input', () => {
    it('missing tokenizer.json', async () => {
      const tok = path.join(tmp, 'tok-incomplete');
      fs.mkdirSync(tok);
      fs.copyFileSync(path.join(tokenizerDir, 'tokenizer_config.json'), path.join(tok, 'tokenizer_config.json'));
      await assert.rejects(runExport({ weights: trainerDir, tokenizer: tok, out: path.join(tmp, 'x'), log: () => {} }), /tok-incomplete\/tokenizer\.json: missing/);
    });

    it('config.json whose shapes disagree with the weights', async () => {
      const dir = path.join(tmp, 'final-bad');
      fs.cpSync(trainerDir, dir, { recursive: true });
      editJson(path.join(dir, 'config.json'), (j) => (j.n_embd = 48));
      await assert.rejects(
        runExport({ weights: dir, tokenizer: tokenizerDir, out: path.join(tmp, 'y'), log: () => {} }),
        /final-bad\/model\.safetensors: tensor "wte\.weight" has shape \[300, 32\], config\.json implies \[300, 48\]/,
      );
    });
  });

  describe('checkExportedFolder names the file and the problem', () => {
    it('truncated onnx/model.onnx', () => {
      const dir = copy();
      const f = path.join(dir, 'onnx/model.onnx');
      fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2));
      assert.throws(() => checkExportedFolder(dir), (e: Error) => e.message.startsWith(`${f}: not a readable ONNX model: `) && /truncated/.test(e.message));
    });

    it('corrupt onnx/model_quantized.onnx (not protobuf)', () => {
      const dir = copy();
      const f = path.join(dir, 'onnx/model_quantized.onnx');
      fs.writeFileSync(f, 'version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 123\n');
      assert.throws(() => checkExportedFolder(dir), (e: Error) => e.message.startsWith(`${f}: not a readable ONNX model`));
      fs.writeFileSync(f, '');
      assert.throws(() => checkExportedFolder(dir), (e: Error) => e.message === `${f}: not a readable ONNX model: file is empty; export the model folder again`);
    });

    it('missing tokenizer.json', () => {
      const dir = copy();
      fs.rmSync(path.join(dir, 'tokenizer.json'));
      assert.throws(() => checkExportedFolder(dir), { message: `${path.join(dir, 'tokenizer.json')}: missing (the tokenizer)` });
    });

    it('config.json whose shapes disagree with model.safetensors', () => {
      const dir = copy();
      editJson(path.join(dir, 'config.json'), (j) => (j.n_embd = 48));
      assert.throws(() => checkExportedFolder(dir), {
        message: `${path.join(dir, 'model.safetensors')}: tensor "wte.weight" has shape [300, 32], config.json implies [300, 48]`,
      });
    });

    it('config.json whose shapes disagree with the ONNX graph', () => {
      const dir = copy();
      editJson(path.join(dir, 'config.json'), (j) => (j.n_head = 2)); // same tensor shapes in model.safetensors, other KV cache shapes
      assert.throws(() => checkExportedFolder(dir), {
        message: `${path.join(dir, 'onnx/model.onnx')}: past_key_values.0.key has shape [batch_size, 4, past_sequence_length, 8], config.json implies [batch, 2, sequence, 16] (n_head=2, n_embd=32)`,
      });
      fs.rmSync(path.join(dir, 'model.safetensors'));
      editJson(path.join(dir, 'config.json'), (j) => ((j.n_head = 4), (j.n_layer = 3)));
      assert.throws(() => checkExportedFolder(dir), /onnx\/model\.onnx: graph has 2 layers of past_key_values, config\.json says n_layer=3/);
    });

    it('tokenizer with ids beyond the model vocabulary', () => {
      const dir = copy();
      fs.rmSync(path.join(dir, 'model.safetensors'));
      editJson(path.join(dir, 'config.json'), (j) => (j.vocab_size = 280));
      assert.throws(() => checkExportedFolder(dir), /tokenizer\.json: token .* has id 2\d\d, outside the model's vocab_size 280 \(config\.json\)/);
    });

    it('config.json that is not JSON or not a GPT-2', () => {
      const dir = copy();
      fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "gpt2",');
      assert.throws(() => checkExportedFolder(dir), (e: Error) => e.message.startsWith(`${path.join(dir, 'config.json')}: not valid JSON`));
      editJsonRaw(path.join(dir, 'config.json'), { model_type: 'llama' });
      assert.throws(() => checkExportedFolder(dir), { message: `${path.join(dir, 'config.json')}: model_type is "llama", expected "gpt2"` });
    });

    it('missing graphs: the asked-for dtype or any completion graph', () => {
      const dir = copy();
      fs.rmSync(path.join(dir, 'onnx/model.onnx'));
      assert.deepEqual(checkExportedFolder(dir).dtypes, ['q8']);
      assert.throws(() => checkExportedFolder(dir, { dtype: 'fp32' }), { message: `${path.join(dir, 'onnx/model.onnx')}: missing (needed for dtype "fp32")` });
      fs.rmSync(path.join(dir, 'onnx/model_quantized.onnx'));
      assert.throws(() => checkExportedFolder(dir), /onnx\/model\.onnx: missing \(the folder needs onnx\/model\.onnx or onnx\/model_quantized\.onnx\)/);
      assert.throws(() => checkExportedFolder(path.join(tmp, 'nope')), /nope: model folder does not exist/);
    });
  });
});

function editJsonRaw(file: string, json: Record<string, unknown>): void {
  fs.writeFileSync(file, JSON.stringify(json));
}
