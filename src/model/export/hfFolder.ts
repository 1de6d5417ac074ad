/**
 * Writes a model folder in the Hugging Face layout that transformers.js 4.x loads offline
 * (docs/ARCHITECTURE.md, "Exported model folder"):
 *
 *   config.json  generation_config.json  tokenizer.json  tokenizer_config.json  model.safetensors  README.md
 *   onnx/model.onnx  onnx/model_quantized.onnx
 *
 * No separate attention graph: both graphs name each layer's softmax output `decoder_attentions.{i}`,
 * and the worker makes those tensors outputs of the graph it runs (src/model/attentionGraph.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GptConfig, parameterCount } from '../config';
import { GptWeights, writeWeights } from '../weights';
import { CONFIG_FILE, GENERATION_CONFIG_FILE, ONNX_FILES, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE } from '../folderLayout';
import { OPSET, buildGptGraph } from './gptGraph';

/** Tokenizer files the folder must have (copied from the tokenizer directory). */
const TOKENIZER_FILES = [TOKENIZER_FILE, TOKENIZER_CONFIG_FILE] as const;
/** Copied too when the tokenizer directory has them. */
const OPTIONAL_TOKENIZER_FILES = ['special_tokens_map.json', 'vocab.json', 'merges.txt'];

const QUANTIZATION_SCHEME =
  'int8 dynamic quantization (QuantizeLinear + MatMulInteger): weights int8 per output column, symmetric 7-bit (-63..63, zero point 0, exact on CPUs without VNNI); activations uint8 per token (scale max |x| / 127, zero point 128), computed at run time, so logits do not depend on how the prompt was split into runs';

/** Hugging Face GPT-2 `config.json`, with every key transformers (Python) and transformers.js read. */
function hfConfigJson(config: GptConfig): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: config.vocab_size,
    n_positions: config.n_positions,
    n_ctx: config.n_positions,
    n_embd: config.n_embd,
    n_layer: config.n_layer,
    n_head: config.n_head,
    n_inner: null, // null = 4 * n_embd
    activation_function: 'gelu_new',
    layer_norm_epsilon: config.layer_norm_epsilon,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    summary_type: 'cls_index',
    summary_use_proj: true,
    summary_activation: null,
    summary_proj_to_labels: true,
    summary_first_dropout: 0.1,
    tie_word_embeddings: true,
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.eos_token_id,
    use_cache: true,
    torch_dtype: 'float32',
    // transformers.js reads this block. The ONNX files hold their weights inline (no .onnx_data).
    'transformers.js_config': { use_external_data_format: false },
    local_gpt: {
      onnx_opset: OPSET,
      onnx_files: ONNX_FILES,
      quantization: QUANTIZATION_SCHEME,
    },
  };
}

function generationConfigJson(config: GptConfig): Record<string, unknown> {
  return {
    _from_model_config: true,
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.eos_token_id,
    do_sample: false,
  };
}

interface ExportOptions {
  config: GptConfig;
  weights: GptWeights;
  /** Directory holding tokenizer.json and tokenizer_config.json. */
  tokenizerDir: string;
  outDir: string;
  /** An existing model.safetensors to copy byte for byte; otherwise it is written from `weights`. */
  safetensorsFile?: string;
  /** Model name for the README (default: the folder name). */
  name?: string;
  /** Extra Markdown for the model card (training data, eval results...). */
  modelCard?: string;
  /** More config.json keys (e.g. the trainer's `"fim": true`); the GPT-2 keys above always win. */
  extraConfig?: Record<string, unknown>;
  /** Progress messages (one line each). */
  log?: (line: string) => void;
}

export interface ExportedFile {
  path: string; // relative to outDir
  bytes: number;
}

/** Throws naming the file when a tokenizer file is missing, before any heavy work is done. */
export function checkTokenizerDir(tokenizerDir: string): void {
  for (const f of TOKENIZER_FILES) {
    const file = path.join(tokenizerDir, f);
    if (!fs.existsSync(file)) {
      throw new Error(`${file}: missing; the tokenizer directory must contain ${TOKENIZER_FILES.join(' and ')}`);
    }
  }
}

export function exportModelFolder(opts: ExportOptions): ExportedFile[] {
  const { config, weights, tokenizerDir, outDir } = opts;
  const log = opts.log ?? (() => {});
  checkTokenizerDir(tokenizerDir);
  if (opts.safetensorsFile && !fs.existsSync(opts.safetensorsFile)) throw new Error(`${opts.safetensorsFile}: missing`);
  fs.mkdirSync(path.join(outDir, 'onnx'), { recursive: true });

  const written: ExportedFile[] = [];
  const write = (rel: string, data: string | Uint8Array): void => {
    fs.writeFileSync(path.join(outDir, rel), data);
    written.push({ path: rel, bytes: fs.statSync(path.join(outDir, rel)).size });
    log(`wrote ${rel} (${formatBytes(written[written.length - 1].bytes)})`);
  };
  const copy = (from: string, rel: string): void => {
    fs.copyFileSync(from, path.join(outDir, rel));
    written.push({ path: rel, bytes: fs.statSync(from).size });
    log(`copied ${rel}`);
  };

  write(CONFIG_FILE, JSON.stringify({ ...opts.extraConfig, ...hfConfigJson(config) }, null, 2) + '\n');
  write(GENERATION_CONFIG_FILE, JSON.stringify(generationConfigJson(config), null, 2) + '\n');
  for (const f of [...TOKENIZER_FILES, ...OPTIONAL_TOKENIZER_FILES]) {
    if (f === TOKENIZER_CONFIG_FILE) write(f, tokenizerConfigFor(config, path.join(tokenizerDir, f)));
    else if (fs.existsSync(path.join(tokenizerDir, f))) copy(path.join(tokenizerDir, f), f);
  }
  if (opts.safetensorsFile) copy(opts.safetensorsFile, WEIGHTS_FILE);
  else {
    writeWeights(path.join(outDir, WEIGHTS_FILE), config, weights);
    written.push({ path: WEIGHTS_FILE, bytes: fs.statSync(path.join(outDir, WEIGHTS_FILE)).size });
  }

  // One graph at a time, so only one serialised copy of the weights is in memory.
  write(ONNX_FILES.fp32, buildGptGraph(config, weights));
  write(ONNX_FILES.q8, buildGptGraph(config, weights, { quantize: true }));

  const name = opts.name ?? path.basename(path.resolve(outDir));
  write('README.md', modelCard(name, config, written, opts.modelCard));
  return written;
}

/**
 * The tokenizer's config with `model_max_length` set to the model's context length: the tokenizer is
 * made before the model (at corpus time), so the value it carries is a guess, and transformers.js
 * truncates inputs to it.
 */
function tokenizerConfigFor(config: GptConfig, file: string): string {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: must hold a JSON object`);
  return JSON.stringify({ ...json, model_max_length: config.n_positions }, null, 2) + '\n';
}

function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function modelCard(name: string, config: GptConfig, files: ExportedFile[], extra?: string): string {
  const params = parameterCount(config);
  return `# ${name}

A small GPT-2-architecture code completion model for the Local GPT VS Code extension, in the
Hugging Face layout that transformers.js loads offline.

| | |
|---|---|
| parameters | ${(params / 1e6).toFixed(2)} M (LM head tied to the token embedding) |
| layers / heads / width | ${config.n_layer} / ${config.n_head} / ${config.n_embd} |
| vocabulary | ${config.vocab_size} (byte-level BPE; \`<|endoftext|>\` ${config.eos_token_id}, \`<fim_prefix>\` 1, \`<fim_middle>\` 2, \`<fim_suffix>\` 3) |
| context | ${config.n_positions} tokens |

## Files

| file | size | |
|---|---|---|
${files
  .map((f) => `| \`${f.path}\` | ${formatBytes(f.bytes)} | ${FILE_NOTES[f.path] ?? ''} |`)
  .join('\n')}

ONNX opset ${OPSET}. Inputs \`input_ids\`, \`attention_mask\`, \`position_ids\` (int64),
\`past_key_values.{i}.key/value\` [batch, ${config.n_head}, past, ${config.n_embd / config.n_head}], \`num_logits_to_keep\` (int64 scalar: logits for the
last K positions only, 0 = all; transformers.js passes 1 while generating); outputs \`logits\`,
\`present.{i}.key/value\`, \`new_key_values.{i}.key/value\`. Each layer's attention probabilities are the tensor
\`decoder_attentions.{i}\` [batch, heads, q, k] of both graphs (not an output: the extension adds it as one for its attention panel).
${extra ? `\n${extra.trim()}\n` : ''}`;
}

const FILE_NOTES: Record<string, string> = {
  [ONNX_FILES.fp32]: 'fp32 completion graph (`dtype: "fp32"`)',
  [ONNX_FILES.q8]: `int8 completion graph (\`dtype: "q8"\`): ${QUANTIZATION_SCHEME}`,
  [WEIGHTS_FILE]: 'float32 weights (source of the ONNX files)',
};
