/**
 * What the worker needs to know about a model folder in the Hugging Face layout before loading it,
 * for any causal-LM architecture transformers.js supports (GPT-2, Llama, ...): which ONNX file
 * runs completions, the context length, the end-of-sequence ids, and the model's capabilities.
 * Problems are reported as `ModelFolderError`s that name the file and say what to do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIM_ORDERS, FIM_TOKENS, type ErrorCode, type FimOrder, type ModelCapabilities } from './protocol';
import { CONFIG_FILE, GENERATION_CONFIG_FILE, ONNX_FILES, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, type OnnxDtype } from '../model/folderLayout';
import { isOneOf, isRecord } from '../validation/checks';

export class ModelFolderError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'modelNotFound' | 'invalidModel'>,
    message: string,
  ) {
    super(message);
  }
}

export interface ModelFolder {
  dir: string;
  modelType: string;
  /** Relative to `dir`, e.g. `onnx/model_quantized.onnx`. */
  onnxFile: string;
  /** What transformers.js calls the dtype of that file. */
  dtype: OnnxDtype;
  /** Set when the asked-for graph (int8 or fp32) is missing and the other one is used. */
  note: string | null;
  contextLength: number;
  vocabSize: number;
  /** Decoder layers config.json declares (n_layer, num_hidden_layers, ...), null when it names none. */
  layers: number | null;
  eosTokenIds: number[];
  capabilities: ModelCapabilities;
}


/** Files a folder must have, and those it may have, per graph variant. */
export function modelFiles(quantized: boolean): { required: string[]; optional: string[] } {
  return {
    required: [CONFIG_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, quantized ? ONNX_FILES.q8 : ONNX_FILES.fp32],
    optional: [GENERATION_CONFIG_FILE],
  };
}

function readJson(dir: string, file: string): Record<string, unknown> {
  const full = path.join(dir, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch {
    throw new ModelFolderError('invalidModel', `${full} is missing: a model folder needs ${CONFIG_FILE}, ${TOKENIZER_FILE}, ${TOKENIZER_CONFIG_FILE} and ${ONNX_FILES.fp32}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!isRecord(value)) throw new Error('not a JSON object');
    return value;
  } catch (e) {
    throw new ModelFolderError('invalidModel', `${full} is not valid JSON (${(e as Error).message})`);
  }
}

const positiveInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);

/** Maximum sequence length under the names architectures use for it. */
export function contextLengthOf(config: Record<string, unknown>): number | null {
  for (const key of ['n_positions', 'max_position_embeddings', 'n_ctx', 'max_seq_len', 'seq_length']) {
    const v = positiveInt(config[key]);
    if (v) return v;
  }
  return null;
}

function layersOf(config: Record<string, unknown>): number | null {
  for (const key of ['n_layer', 'num_hidden_layers', 'n_layers', 'num_layers']) {
    const v = positiveInt(config[key]);
    if (v) return v;
  }
  return null;
}

/**
 * A graph that does not match its folder's config.json (the files come from different models):
 * the message naming both, or null. `graph`: the session's input names and output metadata.
 */
export function graphMismatch(
  folder: Pick<ModelFolder, 'dir' | 'onnxFile' | 'layers' | 'vocabSize'>,
  graph: { inputNames: readonly string[]; outputMetadata?: readonly { name: string; shape?: readonly (number | string)[] }[] },
): string | null {
  const config = path.join(folder.dir, CONFIG_FILE);
  const graphLayers = graph.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  if (folder.layers !== null && graphLayers > 0 && graphLayers !== folder.layers) {
    return `${config} declares ${folder.layers} layers but ${folder.onnxFile} has ${graphLayers} (past_key_values inputs): the config and the graph come from different models`;
  }
  const vocab = graph.outputMetadata?.find((m) => m.name === 'logits')?.shape?.at(-1);
  if (typeof vocab === 'number' && vocab !== folder.vocabSize) {
    return `${config} declares vocab_size ${folder.vocabSize} but ${folder.onnxFile} gives logits over ${vocab} tokens: the config and the graph come from different models`;
  }
  return null;
}

function eosIdsOf(config: Record<string, unknown>, generation: Record<string, unknown> | null): number[] {
  const raw = generation?.eos_token_id ?? config.eos_token_id;
  const ids = Array.isArray(raw) ? raw : [raw];
  return ids.filter((x): x is number => typeof x === 'number' && Number.isInteger(x));
}

/** Token strings of `tokenizer.json`: the added (special) tokens and the model vocabulary. */
function tokenizerHas(tokenizer: Record<string, unknown>, token: string): boolean {
  const added = Array.isArray(tokenizer.added_tokens) ? (tokenizer.added_tokens as { content?: unknown }[]) : [];
  if (added.some((t) => t.content === token)) return true;
  const vocab = (tokenizer.model as { vocab?: unknown } | undefined)?.vocab;
  return isRecord(vocab) && token in vocab;
}

/** The FIM order `config.json` declares: `"fim": "spm"` or `"psm"`; `true` (the older key) means psm. */
function declaredFimOrder(fim: unknown): FimOrder | false {
  if (fim === true) return 'psm';
  return isOneOf(FIM_ORDERS, fim) ? fim : false;
}

/**
 * FIM is used only when the tokenizer has the three FIM tokens AND `config.json` says the model was
 * trained for it, in which order: a prefix-only model that merely has the tokens would see a prompt
 * format it never learned.
 */
export function capabilitiesOf(config: Record<string, unknown>, tokenizer: Record<string, unknown>): ModelCapabilities {
  const hasTokens = Object.values(FIM_TOKENS).every((t) => tokenizerHas(tokenizer, t));
  return { fim: hasTokens ? declaredFimOrder(config.fim) : false };
}

export function inspectModelFolder(dir: string, options: { quantized: boolean }): ModelFolder {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ModelFolderError('modelNotFound', `model folder ${dir} does not exist`);
  }
  const config = readJson(dir, CONFIG_FILE);
  const tokenizer = readJson(dir, TOKENIZER_FILE);
  readJson(dir, TOKENIZER_CONFIG_FILE);
  const generation = fs.existsSync(path.join(dir, GENERATION_CONFIG_FILE)) ? readJson(dir, GENERATION_CONFIG_FILE) : null;

  const modelType = config.model_type;
  if (typeof modelType !== 'string' || modelType === '') {
    throw new ModelFolderError('invalidModel', `${path.join(dir, CONFIG_FILE)} has no "model_type" (e.g. "gpt2", "llama")`);
  }
  const contextLength = contextLengthOf(config);
  if (!contextLength) {
    throw new ModelFolderError('invalidModel', `${path.join(dir, CONFIG_FILE)} has no context length ("n_positions" or "max_position_embeddings")`);
  }
  const vocabSize = positiveInt(config.vocab_size);
  if (!vocabSize) throw new ModelFolderError('invalidModel', `${path.join(dir, CONFIG_FILE)}: "vocab_size" must be a positive integer`);

  const quantizedFile = ONNX_FILES.q8;
  const fp32File = ONNX_FILES.fp32;
  const has = (f: string) => fs.existsSync(path.join(dir, f)) && fs.statSync(path.join(dir, f)).size > 0;
  let onnxFile: string;
  let note: string | null = null;
  if (options.quantized && has(quantizedFile)) onnxFile = quantizedFile;
  else if (has(fp32File)) {
    onnxFile = fp32File;
    if (options.quantized) note = `${quantizedFile} is missing in ${dir}; using the fp32 graph ${fp32File}`;
  } else if (has(quantizedFile)) {
    // The embedded model ships its int8 graph only (one copy of the weights per VSIX).
    onnxFile = quantizedFile;
    note = `${fp32File} is missing in ${dir} (localGpt.quantized is off); using the int8 graph ${quantizedFile}`;
  } else {
    throw new ModelFolderError('invalidModel', `${path.join(dir, fp32File)} is missing: the folder has no ONNX graph to run (export the model first)`);
  }
  return {
    dir,
    modelType,
    onnxFile,
    dtype: onnxFile === quantizedFile ? 'q8' : 'fp32',
    note,
    contextLength,
    vocabSize,
    layers: layersOf(config),
    eosTokenIds: eosIdsOf(config, generation),
    capabilities: capabilitiesOf(config, tokenizer),
  };
}
