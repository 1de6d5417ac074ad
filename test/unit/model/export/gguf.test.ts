/**
 * A model folder as GGUF for llama.cpp's `gpt2` architecture (src/model/export/gguf.ts), read back
 * with an independent reader: llama.cpp's tensor names and shapes, Conv1D weights transposed to
 * ggml's [in, out], Q8_0 only on weight matrices, and the tokenizer metadata from tokenizer.json.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportGguf, ggufTokenizer, TOKEN_TYPE, type TokenizerJson } from '../../../../src/model/export/gguf';
import { transpose } from '../../../../src/model/export/quantize';
import { tinyGpt2 } from '../../engine/fixtures/tinyModels';
import { f32Data, readGguf } from '../fixtures/ggufReader';

describe('model/export/gguf (GPT-2 -> llama.cpp gpt2 layout)', function () {
  this.timeout(60_000);
  const tiny = tinyGpt2();
  const C = tiny.config.n_embd;
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gguf-test-'))));
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('f32: llama.cpp tensor names, ggml shapes, weights transposed to [in, out], values unchanged', () => {
    const out = path.join(dir, 'tiny-f32.gguf');
    const r = exportGguf(tiny.dir, out, 'f32', 'tiny');
    const bytes = fs.readFileSync(out);
    assert.equal(r.bytes, bytes.length);
    const g = readGguf(bytes);
    assert.equal(g.version, 3);
    const block = (i: number) => [
      [`blk.${i}.attn_norm.weight`, [C]], [`blk.${i}.attn_norm.bias`, [C]],
      [`blk.${i}.attn_qkv.weight`, [C, 3 * C]], [`blk.${i}.attn_qkv.bias`, [3 * C]],
      [`blk.${i}.attn_output.weight`, [C, C]], [`blk.${i}.attn_output.bias`, [C]],
      [`blk.${i}.ffn_norm.weight`, [C]], [`blk.${i}.ffn_norm.bias`, [C]],
      [`blk.${i}.ffn_up.weight`, [C, 4 * C]], [`blk.${i}.ffn_up.bias`, [4 * C]],
      [`blk.${i}.ffn_down.weight`, [4 * C, C]], [`blk.${i}.ffn_down.bias`, [C]],
    ];
    assert.deepEqual(
      g.tensors.map((t) => [t.name, t.ne]),
      [['token_embd.weight', [C, 300]], ['position_embd.weight', [C, 128]], ...block(0), ...block(1), ['output_norm.weight', [C]], ['output_norm.bias', [C]]],
    );
    assert.ok(g.tensors.every((t) => t.type === 0 && t.offset % 32 === 0));
    const l = tiny.weights.layers[1];
    assert.deepEqual(f32Data(bytes, g, 'token_embd.weight'), tiny.weights.wte);
    assert.deepEqual(f32Data(bytes, g, 'blk.1.attn_qkv.weight'), transpose(l.c_attn_weight, C, 3 * C));
    assert.deepEqual(f32Data(bytes, g, 'blk.1.ffn_down.weight'), transpose(l.mlp_c_proj_weight, 4 * C, C));
    assert.deepEqual(f32Data(bytes, g, 'blk.1.ffn_up.bias'), l.c_fc_bias);
    // ne [in, out] holds row n = output n's inputs: element (out 5, in 7) of c_attn is W[7, 5]
    assert.equal(f32Data(bytes, g, 'blk.1.attn_qkv.weight')[5 * C + 7], l.c_attn_weight[7 * 3 * C + 5]);
  });

  it('f32: hyper-parameters and the tokenizer from config.json and tokenizer.json', () => {
    const out = path.join(dir, 'tiny-meta.gguf');
    exportGguf(tiny.dir, out, 'f32', 'tiny');
    const m = readGguf(fs.readFileSync(out)).metadata;
    const v = (k: string) => m.get(k)?.value;
    assert.deepEqual(
      ['general.architecture', 'general.name', 'general.file_type', 'gpt2.context_length', 'gpt2.embedding_length', 'gpt2.feed_forward_length', 'gpt2.block_count', 'gpt2.attention.head_count', 'tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.add_bos_token'].map(v),
      ['gpt2', 'tiny', 0, 128, C, 4 * C, 2, 4, 'gpt2', 'gpt-2', 0, 0, false],
    );
    assert.equal(v('gpt2.attention.layer_norm_epsilon'), Math.fround(1e-5));
    const json = JSON.parse(fs.readFileSync(path.join(tiny.dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number>; merges: [string, string][] } };
    const tokens = v('tokenizer.ggml.tokens') as string[];
    assert.equal(tokens.length, 300);
    for (const [text, id] of Object.entries(json.model.vocab)) assert.equal(tokens[id], text);
    assert.deepEqual(v('tokenizer.ggml.merges'), json.model.merges.map(([a, b]) => `${a} ${b}`));
    const types = v('tokenizer.ggml.token_type') as number[];
    assert.deepEqual(tokens.slice(0, 4), ['<|endoftext|>', '<fim_prefix>', '<fim_middle>', '<fim_suffix>']);
    assert.deepEqual(types.slice(0, 5), [TOKEN_TYPE.control, TOKEN_TYPE.control, TOKEN_TYPE.control, TOKEN_TYPE.control, TOKEN_TYPE.normal]);
    assert.deepEqual(['tokenizer.ggml.fim_pre_token_id', 'tokenizer.ggml.fim_mid_token_id', 'tokenizer.ggml.fim_suf_token_id'].map(v), [1, 2, 3]);
  });

  it('q8_0: the weight matrices and the token embedding are Q8_0; positions, norms and biases stay F32', () => {
    const out = path.join(dir, 'tiny-q8_0.gguf');
    const r = exportGguf(tiny.dir, out, 'q8_0');
    assert.deepEqual(r.keptF32, []);
    const g = readGguf(fs.readFileSync(out));
    assert.equal(g.metadata.get('general.file_type')?.value, 7);
    const q8 = g.tensors.filter((t) => t.type === 8).map((t) => t.name);
    assert.deepEqual(q8, ['token_embd.weight', ...[0, 1].flatMap((i) => ['attn_qkv', 'attn_output', 'ffn_up', 'ffn_down'].map((n) => `blk.${i}.${n}.weight`))]);
    assert.ok(g.tensors.filter((t) => t.type !== 8).every((t) => t.type === 0));
    assert.ok(fs.statSync(out).size < fs.statSync(path.join(dir, 'tiny-f32.gguf')).size / 2);
  });

  it('fills ids the tokenizer does not use (a model vocabulary larger than the tokenizer) with unused [PAD<id>] tokens', () => {
    const json = JSON.parse(fs.readFileSync(path.join(tiny.dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
    const t = ggufTokenizer(json, 303, 'tokenizer.json');
    assert.deepEqual(t.tokens.slice(300), ['[PAD300]', '[PAD301]', '[PAD302]']);
    assert.deepEqual(t.types.slice(300), [TOKEN_TYPE.unused, TOKEN_TYPE.unused, TOKEN_TYPE.unused]);
    assert.ok(t.tokens.every((x) => typeof x === 'string'));
    assert.throws(() => ggufTokenizer(json, 299, 'tokenizer.json'), /tokenizer\.json: token .* has id 299, outside the model's vocabulary of 299/);
  });

  it('names the missing file and refuses a tokenizer it cannot convert', () => {
    assert.throws(() => exportGguf(path.join(dir, 'nowhere'), path.join(dir, 'x.gguf'), 'f32'), /nowhere\/config\.json: missing \(a model folder for GGUF export needs config\.json, model\.safetensors, tokenizer\.json\)/);
    const broken = path.join(dir, 'broken');
    fs.cpSync(tiny.dir, broken, { recursive: true });
    const tok = JSON.parse(fs.readFileSync(path.join(broken, 'tokenizer.json'), 'utf8'));
    tok.pre_tokenizer = { type: 'Whitespace' };
    fs.writeFileSync(path.join(broken, 'tokenizer.json'), JSON.stringify(tok));
    assert.throws(() => exportGguf(broken, path.join(dir, 'x.gguf'), 'f32'), /broken\/tokenizer\.json: pre_tokenizer \{"type":"Whitespace"\} has no llama\.cpp equivalent/);
  });
});
