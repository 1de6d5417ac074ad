/**
 * A model folder (config.json, model.safetensors, tokenizer.json, tokenizer_config.json) as a GGUF
 * file for llama.cpp's `gpt2` architecture, so the same weights run in llama.cpp, Ollama and LM Studio.
 *
 *   npm run export:gguf -- --model models/localgpt-code-small --out localgpt-code-small-q8_0.gguf --type q8_0
 *
 * Tensors (llama.cpp src/models/gpt2.cpp; ne in ggml order, [in, out] for a linear):
 *   token_embd [C, V]   position_embd [C, T] (always F32)   output_norm.{weight,bias} [C]
 *   blk.i.attn_norm, blk.i.attn_qkv [C, 3C], blk.i.attn_output [C, C], blk.i.ffn_norm,
 *   blk.i.ffn_up [C, 4C], blk.i.ffn_down [4C, C], each with a .bias; no `output`: the LM head is
 *   tied to token_embd, which llama.cpp falls back to. Our Conv1D weights are stored [in, out]
 *   row-major; ggml wants each output's row of inputs contiguous, so they are transposed.
 * `q8_0` quantizes the 2-D weights (not position_embd, norms or biases), as llama.cpp's converter does.
 *
 * Tokenizer: byte-level BPE ("gpt2" model), vocabulary, merges and token types from tokenizer.json,
 * bos/eos from config.json, FIM tokens when the vocabulary has them. llama.cpp picks its
 * pre-tokenizer (the split before BPE) by name from a fixed list; see preTokenizerFor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configFromJson, type GptConfig } from '../config';
import { FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX } from '../tokenizer/specialTokens';
import { PRE_TOKENIZER_PATTERN } from '../tokenizer/preTokenize';
import { readWeights, type GptWeights } from '../weights';
import { transpose } from './quantize';
import { Q8_0_BLOCK, kv, writeGguf, type GgufTensor, type Metadata, type TensorType } from './ggufWriter';

const GGUF_TYPES = ['f32', 'q8_0'] as const;
export type GgufType = (typeof GGUF_TYPES)[number];

/** llama_ftype: the file's main tensor type. */
const FILE_TYPE: Record<GgufType, number> = { f32: 0, q8_0: 7 };
/** GGML_QNT_VERSION: the quantization format version llama.cpp expects. */
const QUANTIZATION_VERSION = 2;

/** llama_token_type. */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** GPT-2's own split (tokenizers' ByteLevel pre-tokenizer with use_regex). */
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

interface PreTokenizer {
  /** tokenizer.ggml.pre */
  name: string;
  /** Empty when llama.cpp splits exactly as tokenizer.json does; else where it differs. */
  difference: string;
}

/**
 * The llama.cpp pre-tokenizer for tokenizer.json's split. Ours has no exact match in llama.cpp's
 * list (src/llama-vocab.cpp): `gpt-2` is the nearest. Where it differs: GPT-2 takes `'s 't 're 've
 * 'm 'll 'd` as a piece of its own where an apostrophe starts a piece (after a letter, a digit, a
 * newline or at the start of the text); ours keeps the apostrophe alone and the letters with their
 * word, so `\n'default'` is `'` `default` for us and `'d` `efault` for llama.cpp. Where the
 * letters are the whole word (`it's`) BPE gives the same ids either way, and digit runs split the
 * same: our vocabulary has no digit-digit merge, so BPE cannot join what ` ?\p{N}+` keeps together.
 */
function preTokenizerFor(tokenizer: TokenizerJson, source: string): PreTokenizer {
  const pre = tokenizer.pre_tokenizer;
  const isByteLevel = (p: PreTokenizerJson | null | undefined) => p?.type === 'ByteLevel';
  if (isByteLevel(pre) && pre?.use_regex !== false) return { name: 'gpt-2', difference: '' };
  if (pre?.type === 'Sequence' && pre.pretokenizers?.length === 2 && isByteLevel(pre.pretokenizers[1]) && pre.pretokenizers[1].use_regex === false) {
    const split = pre.pretokenizers[0];
    const regex = split.type === 'Split' ? split.pattern?.Regex : undefined;
    if (regex === GPT2_PATTERN) return { name: 'gpt-2', difference: '' };
    if (regex === PRE_TOKENIZER_PATTERN) {
      return {
        name: 'gpt-2',
        difference: "llama.cpp has no pre-tokenizer identical to this tokenizer's split; the nearest (gpt-2) cuts an apostrophe that starts a piece and the letters s, t, re, ve, m, ll or d after it into a piece of its own (`\\n'default'`), so such text tokenizes differently; the model runs the same on the same token ids",
      };
    }
  }
  throw new Error(`${source}: pre_tokenizer ${JSON.stringify(pre)} has no llama.cpp equivalent known to this exporter (known: GPT-2's ByteLevel split and Local GPT's own)`);
}

interface PreTokenizerJson {
  type: string;
  use_regex?: boolean;
  pattern?: { Regex?: string; String?: string };
  pretokenizers?: PreTokenizerJson[];
}

export interface TokenizerJson {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  pre_tokenizer?: PreTokenizerJson | null;
  decoder?: { type: string } | null;
  model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[]; byte_fallback?: boolean };
}

interface GgufTokenizer {
  tokens: string[];
  types: number[];
  merges: string[];
  pre: PreTokenizer;
  fim: { prefix?: number; middle?: number; suffix?: number };
}

/** Vocabulary, token types and merges for `vocabSize` ids; ids with no token become unused `[PAD<id>]`. */
export function ggufTokenizer(tokenizer: TokenizerJson, vocabSize: number, source: string): GgufTokenizer {
  if (tokenizer.model?.type !== 'BPE') throw new Error(`${source}: model.type is "${tokenizer.model?.type}", only byte-level BPE converts to GGUF`);
  if (tokenizer.decoder?.type !== 'ByteLevel') throw new Error(`${source}: decoder is ${JSON.stringify(tokenizer.decoder?.type)}, expected "ByteLevel"`);
  const tokens: (string | undefined)[] = Array.from({ length: vocabSize }, () => undefined);
  const types: number[] = Array.from({ length: vocabSize }, () => TOKEN_TYPE.unused);
  const put = (text: string, id: number, type: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`${source}: token ${JSON.stringify(text)} has id ${id}, outside the model's vocabulary of ${vocabSize}`);
    tokens[id] = text;
    types[id] = type;
  };
  for (const [text, id] of Object.entries(tokenizer.model.vocab)) put(text, id, TOKEN_TYPE.normal);
  const fim: GgufTokenizer['fim'] = {};
  for (const t of tokenizer.added_tokens ?? []) {
    put(t.content, t.id, t.special ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined);
    if (t.content === FIM_PREFIX) fim.prefix = t.id;
    if (t.content === FIM_MIDDLE) fim.middle = t.id;
    if (t.content === FIM_SUFFIX) fim.suffix = t.id;
  }
  const merges = tokenizer.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  return { tokens: tokens.map((t, i) => t ?? `[PAD${i}]`), types, merges, pre: preTokenizerFor(tokenizer, source), fim };
}

interface Gpt2Gguf {
  metadata: Metadata;
  tensors: GgufTensor[];
  /** Tensors written as F32 although `q8_0` was asked (rows not a multiple of 32 values). */
  keptF32: string[];
  pre: PreTokenizer;
}

/** Metadata and tensors of a GPT-2 model in llama.cpp's `gpt2` layout. */
function gpt2Gguf(opts: { config: GptConfig; weights: GptWeights; tokenizer: GgufTokenizer; type: GgufType; name: string; addBos: boolean }): Gpt2Gguf {
  const { config: c, weights: w, tokenizer: tok, type } = opts;
  const C = c.n_embd;
  const keptF32: string[] = [];
  const matrix = (name: string, ne: [number, number], data: Float32Array): GgufTensor => {
    let t: TensorType = type === 'q8_0' ? 'Q8_0' : 'F32';
    if (t === 'Q8_0' && ne[0] % Q8_0_BLOCK !== 0) {
      t = 'F32';
      keptF32.push(name);
    }
    return { name, ne, type: t, data };
  };
  const vector = (name: string, data: Float32Array): GgufTensor => ({ name, ne: [data.length], type: 'F32', data });
  /** Conv1D [in, out] row-major -> ggml ne [in, out] (rows of `in` values, one per output). */
  const linear = (name: string, W: Float32Array, inDim: number, outDim: number) => matrix(name, [inDim, outDim], transpose(W, inDim, outDim));

  const tensors: GgufTensor[] = [matrix('token_embd.weight', [C, c.vocab_size], w.wte), { name: 'position_embd.weight', ne: [C, c.n_positions], type: 'F32', data: w.wpe }];
  w.layers.forEach((l, i) => {
    const b = `blk.${i}`;
    tensors.push(
      vector(`${b}.attn_norm.weight`, l.ln_1_weight),
      vector(`${b}.attn_norm.bias`, l.ln_1_bias),
      linear(`${b}.attn_qkv.weight`, l.c_attn_weight, C, 3 * C),
      vector(`${b}.attn_qkv.bias`, l.c_attn_bias),
      linear(`${b}.attn_output.weight`, l.attn_c_proj_weight, C, C),
      vector(`${b}.attn_output.bias`, l.attn_c_proj_bias),
      vector(`${b}.ffn_norm.weight`, l.ln_2_weight),
      vector(`${b}.ffn_norm.bias`, l.ln_2_bias),
      linear(`${b}.ffn_up.weight`, l.c_fc_weight, C, 4 * C),
      vector(`${b}.ffn_up.bias`, l.c_fc_bias),
      linear(`${b}.ffn_down.weight`, l.mlp_c_proj_weight, 4 * C, C),
      vector(`${b}.ffn_down.bias`, l.mlp_c_proj_bias),
    );
  });
  tensors.push(vector('output_norm.weight', w.ln_f_weight), vector('output_norm.bias', w.ln_f_bias));

  const metadata: Metadata = [
    ['general.architecture', kv.string('gpt2')],
    ['general.name', kv.string(opts.name)],
    ['general.file_type', kv.u32(FILE_TYPE[type])],
    ['general.quantization_version', kv.u32(QUANTIZATION_VERSION)],
    ['gpt2.context_length', kv.u32(c.n_positions)],
    ['gpt2.embedding_length', kv.u32(C)],
    ['gpt2.feed_forward_length', kv.u32(4 * C)],
    ['gpt2.block_count', kv.u32(c.n_layer)],
    ['gpt2.attention.head_count', kv.u32(c.n_head)],
    ['gpt2.attention.layer_norm_epsilon', kv.f32(c.layer_norm_epsilon)],
    ['tokenizer.ggml.model', kv.string('gpt2')],
    ['tokenizer.ggml.pre', kv.string(tok.pre.name)],
    ['tokenizer.ggml.tokens', kv.strings(tok.tokens)],
    ['tokenizer.ggml.token_type', kv.i32s(tok.types)],
    ['tokenizer.ggml.merges', kv.strings(tok.merges)],
    ['tokenizer.ggml.bos_token_id', kv.u32(c.bos_token_id)],
    ['tokenizer.ggml.eos_token_id', kv.u32(c.eos_token_id)],
    ['tokenizer.ggml.padding_token_id', kv.u32(c.eos_token_id)],
    ['tokenizer.ggml.add_bos_token', kv.bool(opts.addBos)],
    ...(tok.fim.prefix !== undefined ? ([['tokenizer.ggml.fim_pre_token_id', kv.u32(tok.fim.prefix)]] as Metadata) : []),
    ...(tok.fim.suffix !== undefined ? ([['tokenizer.ggml.fim_suf_token_id', kv.u32(tok.fim.suffix)]] as Metadata) : []),
    ...(tok.fim.middle !== undefined ? ([['tokenizer.ggml.fim_mid_token_id', kv.u32(tok.fim.middle)]] as Metadata) : []),
  ];
  return { metadata, tensors, keptF32, pre: tok.pre };
}

function readJson<T>(file: string): T {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing (a model folder for GGUF export needs config.json, model.safetensors, tokenizer.json)`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

interface GgufExport {
  file: string;
  bytes: number;
  type: GgufType;
  keptF32: string[];
  pre: PreTokenizer;
}

/** Converts the model folder `modelDir` to a GGUF file `out`. */
export function exportGguf(modelDir: string, out: string, type: GgufType, name = path.basename(path.resolve(modelDir))): GgufExport {
  if (!GGUF_TYPES.includes(type)) throw new Error(`gguf: type "${type}" is not one of ${GGUF_TYPES.join(', ')}`);
  const configFile = path.join(modelDir, 'config.json');
  const config = configFromJson(readJson<Record<string, unknown>>(configFile), configFile);
  const tokenizerFile = path.join(modelDir, 'tokenizer.json');
  const tokenizer = ggufTokenizer(readJson<TokenizerJson>(tokenizerFile), config.vocab_size, tokenizerFile);
  const tokenizerConfigFile = path.join(modelDir, 'tokenizer_config.json');
  const addBos = fs.existsSync(tokenizerConfigFile) ? readJson<{ add_bos_token?: boolean }>(tokenizerConfigFile).add_bos_token === true : false;
  const weights = readWeights(path.join(modelDir, 'model.safetensors'), config);
  const g = gpt2Gguf({ config, weights, tokenizer, type, name, addBos });
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const bytes = writeGguf(out, g.metadata, g.tensors);
  return { file: out, bytes, type, keptF32: g.keptF32, pre: g.pre };
}

async function main(): Promise<void> {
  const { Command, Option } = await import('commander');
  const program = new Command()
    .name('export:gguf')
    .description('Convert a model folder (config.json, model.safetensors, tokenizer.json) to GGUF for llama.cpp, Ollama and LM Studio')
    .requiredOption('--model <dir>', 'model folder, e.g. models/localgpt-code-small')
    .requiredOption('--out <file>', 'GGUF file to write')
    .addOption(new Option('--type <type>', 'tensor type of the weight matrices').choices(GGUF_TYPES).default('q8_0'))
    .option('--name <name>', 'general.name (default: the folder name)')
    .parse();
  const o = program.opts<{ model: string; out: string; type: GgufType; name?: string }>();
  const t0 = performance.now();
  const r = exportGguf(o.model, o.out, o.type, o.name);
  console.log(`wrote ${r.file} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.type}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (r.keptF32.length) console.log(`kept as F32 (rows not a multiple of ${Q8_0_BLOCK}): ${r.keptF32.join(', ')}`);
  if (r.pre.difference) console.log(`note: ${r.pre.difference}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`export:gguf: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
