/**
 * The strict check of an exported GPT-2 model folder (Hugging Face layout, docs/ARCHITECTURE.md), run by
 * the export CLI before the folder is handed to transformers.js, so a broken folder gives the user one clear message naming the file and the
 * problem instead of a stack trace from inside ONNX Runtime.
 *
 * Cheap at any model size: JSON files are parsed, but of model.safetensors and the .onnx files
 * only headers and graph signatures are read (see onnxInfo.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GptConfig, configFromJson } from './config';
import { checkWeightsFile } from './weights';
import { OnnxModelInfo, OnnxTensorInfo, formatDims, readOnnxInfo } from './onnxInfo';
import { isRecord } from '../validation/checks';
import { ATTENTIONS_FILE, CONFIG_FILE, ONNX_FILES, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE, type OnnxDtype } from './folderLayout';

class ExportedFolderError extends Error {
  constructor(
    /** Absolute path of the file (or folder) at fault. */
    readonly file: string,
    /** What is wrong with it, for the user. */
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ExportedFolderError';
  }
}

interface ExportedFolder {
  dir: string;
  config: GptConfig;
  /** Completion graphs present in the folder, by transformers.js dtype. */
  dtypes: OnnxDtype[];
  onnx: Partial<Record<OnnxDtype | 'attentions', OnnxModelInfo>>;
  /** onnx/model_attentions.onnx, when the folder has one (the attention panel then runs it instead of deriving one). */
  attentionsFile?: string;
  /** Tokens in tokenizer.json (vocab plus added tokens). */
  tokenizerVocabSize: number;
}

interface CheckExportedFolderOptions {
  /** Require this completion graph; by default either one is enough. */
  dtype?: OnnxDtype;
}

/** Validates `dir` and describes what it holds; throws ExportedFolderError naming the file at fault. */
export function checkExportedFolder(dir: string, options: CheckExportedFolderOptions = {}): ExportedFolder {
  dir = path.resolve(dir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ExportedFolderError(dir, 'model folder does not exist');
  const file = (rel: string): string => path.join(dir, rel);
  const requireFile = (rel: string, why: string): string => {
    if (!fs.existsSync(file(rel))) throw new ExportedFolderError(file(rel), `missing (${why})`);
    return file(rel);
  };

  // config.json
  const configJson = readJson(requireFile(CONFIG_FILE, 'model hyper-parameters'));
  let config: GptConfig;
  try {
    config = configFromJson(configJson, CONFIG_FILE);
  } catch (e) {
    throw new ExportedFolderError(file(CONFIG_FILE), (e as Error).message.replace(/^config\.json: /, ''));
  }

  // Tokenizer files.
  const tokenizer = readJson(requireFile(TOKENIZER_FILE, 'the tokenizer'));
  readJson(requireFile(TOKENIZER_CONFIG_FILE, 'tokenizer settings'));
  const tokenizerVocabSize = checkTokenizer(tokenizer, config, file(TOKENIZER_FILE));

  // Weights: optional at run time, but when present they must agree with config.json.
  if (fs.existsSync(file(WEIGHTS_FILE))) {
    try {
      checkWeightsFile(file(WEIGHTS_FILE), config);
    } catch (e) {
      throw new ExportedFolderError(file(WEIGHTS_FILE), (e as Error).message.slice(file(WEIGHTS_FILE).length + 2));
    }
  }

  // ONNX graphs.
  const onnx: ExportedFolder['onnx'] = {};
  const dtypes: OnnxDtype[] = [];
  for (const dtype of Object.keys(ONNX_FILES) as OnnxDtype[]) {
    if (options.dtype === dtype) requireFile(ONNX_FILES[dtype], `needed for dtype "${dtype}"`);
    if (!fs.existsSync(file(ONNX_FILES[dtype]))) continue;
    onnx[dtype] = checkGraph(file(ONNX_FILES[dtype]), config, false);
    dtypes.push(dtype);
  }
  if (dtypes.length === 0) {
    throw new ExportedFolderError(file(ONNX_FILES.fp32), `missing (the folder needs ${ONNX_FILES.fp32} or ${ONNX_FILES.q8})`);
  }
  let attentionsFile: string | undefined;
  if (fs.existsSync(file(ATTENTIONS_FILE))) {
    attentionsFile = file(ATTENTIONS_FILE);
    onnx.attentions = checkGraph(attentionsFile, config, true);
  }
  return { dir, config, dtypes, onnx, attentionsFile, tokenizerVocabSize };
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExportedFolderError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ExportedFolderError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(json)) throw new ExportedFolderError(file, 'expected a JSON object');
  return json;
}

/** The tokenizer must be BPE and every id it can produce must have a row in the model. */
function checkTokenizer(json: Record<string, unknown>, config: GptConfig, file: string): number {
  const model = json.model as { type?: string; vocab?: Record<string, number> } | undefined;
  if (!model || typeof model.vocab !== 'object' || model.vocab === null) throw new ExportedFolderError(file, 'no "model.vocab": not a tokenizer.json');
  if (model.type !== 'BPE') throw new ExportedFolderError(file, `model type is "${String(model.type)}", expected "BPE"`);
  const ids = new Map<number, string>();
  for (const [token, id] of Object.entries(model.vocab)) ids.set(id, token);
  for (const t of (json.added_tokens as { id: number; content: string }[] | undefined) ?? []) ids.set(t.id, t.content);
  for (const [id, token] of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= config.vocab_size) {
      throw new ExportedFolderError(file, `token ${JSON.stringify(token)} has id ${id}, outside the model's vocab_size ${config.vocab_size} (config.json): tokenizer and model do not belong together`);
    }
  }
  return ids.size;
}

/** Checks the graph's inputs and outputs are the ones transformers.js feeds, with config.json's shapes. */
function checkGraph(file: string, config: GptConfig, attentions: boolean): OnnxModelInfo {
  let info: OnnxModelInfo;
  try {
    info = readOnnxInfo(file);
  } catch (e) {
    throw new ExportedFolderError(file, (e as Error).message.slice(file.length + 2) + '; export the model folder again');
  }
  const H = config.n_head;
  const D = config.n_embd / config.n_head;
  const find = (list: OnnxTensorInfo[], name: string, kind: string): OnnxTensorInfo => {
    const t = list.find((x) => x.name === name);
    if (!t) throw new ExportedFolderError(file, `graph has no ${kind} "${name}" (config.json: n_layer=${config.n_layer}); not a GPT-2 export with KV cache`);
    return t;
  };
  /** Fixed dims must match `expected`; null = any (symbolic batch/sequence). */
  const expectDims = (t: OnnxTensorInfo, expected: (number | null)[], implied: string): void => {
    const ok = t.dims.length === expected.length && expected.every((e, i) => e === null || t.dims[i] === e);
    if (!ok) throw new ExportedFolderError(file, `${t.name} has shape ${formatDims(t.dims)}, config.json implies ${implied}`);
  };

  for (const name of ['input_ids', 'attention_mask', 'position_ids']) find(info.inputs, name, 'input');
  const layers = info.inputs.filter((t) => /^past_key_values\.\d+\.key$/.test(t.name)).length;
  if (layers !== config.n_layer) {
    throw new ExportedFolderError(file, `graph has ${layers} layers of past_key_values, config.json says n_layer=${config.n_layer}`);
  }
  const kvShape = `[batch, ${H}, sequence, ${D}] (n_head=${H}, n_embd=${config.n_embd})`;
  for (let i = 0; i < config.n_layer; i++) {
    for (const kv of ['key', 'value']) {
      expectDims(find(info.inputs, `past_key_values.${i}.${kv}`, 'input'), [null, H, null, D], kvShape);
      expectDims(find(info.outputs, `present.${i}.${kv}`, 'output'), [null, H, null, D], kvShape);
    }
    if (attentions) expectDims(find(info.outputs, `decoder_attentions.${i}`, 'output'), [null, H, null, null], `[batch, ${H}, q, k] (n_head=${H})`);
  }
  expectDims(find(info.outputs, 'logits', 'output'), [null, null, config.vocab_size], `[batch, sequence, ${config.vocab_size}] (vocab_size)`);
  return info;
}
