/**
 * The host <-> model worker protocol: one discriminated union per direction, shared by both sides,
 * and validators for what arrives over the boundary (a malformed message becomes an error value,
 * never an exception in the receiver).
 *
 * To add a request type (e.g. `attention`): add a member to `HostToWorker`, a validator to
 * `HOST_MESSAGE_VALIDATORS`, a handler in the worker's dispatch table (src/engine/workerCore.ts),
 * and, if it answers with something new, a member to `WorkerToHost` plus its validator.
 */

import { arrayOf, bool, isRecord, nullable, num, object, oneOf, optional, str, tagged, type Check, type Parsed } from '../validation/checks';
import { ATTENTION_REQUEST_FIELDS, ATTENTION_RESULT_FIELDS, type AttentionRequest, type AttentionResultMessage } from '../attention/workerProtocol';

/** The compute backends the worker can run on; one is chosen when the worker starts. */
const BACKEND_NAMES = ['native', 'wasm'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What the user can ask for (setting `localGpt.backend`, whose enum in package.json is checked against this). */
export const BACKEND_REQUESTS = ['auto', ...BACKEND_NAMES] as const;
export type BackendRequest = (typeof BACKEND_REQUESTS)[number];

/** Passed as `workerData`: decided before transformers.js is imported, so a change means a new worker. */
export interface WorkerStartOptions {
  backend: BackendRequest;
  /** Intra-op threads; 0 = let the runtime decide. */
  threads: number;
  /** Absolute folder holding `ort-wasm-simd-threaded*.{mjs,wasm}` (never a CDN). */
  wasmPaths: string;
  /** Shared memory where the worker counts its native ONNX Runtime calls in flight (src/engine/nativeActivity.ts). */
  nativeActivity?: SharedArrayBuffer;
}

/** Where the model comes from, already resolved from the `localGpt.model` setting. */
export type ModelSource =
  | { kind: 'embedded'; name: string; dir: string }
  | { kind: 'local'; dir: string }
  | { kind: 'hub'; id: string; revision: string };

export interface LoadRequest {
  type: 'load';
  id: number;
  source: ModelSource;
  /** Load `onnx/model_quantized.onnx` (int8) instead of `onnx/model.onnx`. */
  quantized: boolean;
  /** Hub models only: where downloaded folders live (the extension's globalStorage). */
  cacheDir: string;
  allowDownloads: boolean;
  /** Hub models only: e.g. `https://huggingface.co/`. */
  remoteHost: string;
}

/** Decoding options; plain numbers so they cross the boundary as JSON. */
export interface GenerationOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** Seed of the sampling PRNG: the same seed and prompt give the same text. */
  seed: number;
  /** Generation stops before the first of these strings; the string itself is not returned. */
  stop: string[];
  /**
   * Token healing: the prompt backs off to the start of its last pre-token and the first new tokens
   * must spell the text taken back (a prompt ending in "= " or in a fresh line's indentation would
   * otherwise end at a token boundary the model rarely saw in training); src/engine/tokenBoundary.ts.
   * Default off.
   */
  heal?: boolean;
  /**
   * The cursor's surroundings as post-processing sees them, so generation stops where post-processing
   * would cut the text anyway (src/engine/lineStop.ts). Absent: no such stop.
   */
  lineStop?: PostContext;
  /**
   * Beam search with this many beams instead of sampling (src/engine/beamSearch.ts); absent or 1:
   * sampling or greedy by `temperature`.
   */
  beamWidth?: number;
  /**
   * The copy model (src/engine/cacheMixer.ts): mix n-gram counts over the cached documents (this
   * one and the others of its language) into the model's probabilities. Absent: the model alone.
   */
  cache?: CacheTarget;
}

/**
 * What post-processing (src/completion/postprocess/) sees of the cursor's surroundings, built from the
 * completion context by `postContextOf`; defined here because a request carries it to the worker's line stop.
 */
export interface PostContext {
  /** The cursor's line up to the cursor. */
  linePrefix: string;
  /** The cursor's line after the cursor. */
  lineSuffix: string;
  /** Document lines after the cursor's line. */
  nextLines: string[];
  multiline: boolean;
  /** The non-blank lines right above the cursor's line, nearest last (`linesAbove` in stopAtRepetition.ts). */
  linesAbove: string[];
}

/** Most beams a request may ask for (each beam step runs the model once per beam). */
const MAX_BEAM_WIDTH = 8;

/** The document a request completes, for the copy model (keys as in `cacheDocument`). */
export interface CacheTarget {
  documentKey: string;
  languageId: string;
  /** The cursor, a character offset in the document's text as last sent: what follows it there is not counted. */
  cursorOffset: number;
}

/** One change of a document's text: `deleteCount` characters at `offset` replaced by `text` (UTF-16 units). */
export interface TextEdit {
  offset: number;
  deleteCount: number;
  text: string;
}

/**
 * The copy model's documents (src/engine/cacheStore.ts): one in full, then its edits, each applied
 * in order at offsets of the text the previous one left. No reply.
 */
export type CacheMessage =
  | { type: 'cacheDocument'; key: string; languageId: string; version: number; text: string }
  | { type: 'cacheEdit'; key: string; version: number; edits: TextEdit[] }
  | { type: 'cacheForget'; key: string };

/**
 * What the worker's copy of the documents holds at most (src/engine/cacheStore.ts); the host side
 * (src/workspace/cacheSync.ts) keeps to the same limits, so it sends nothing the worker would drop.
 */
export const CACHE_LIMITS = {
  /** A larger document is not cached (minified bundles, generated data), characters. */
  maxDocumentChars: 200_000,
  /** Over all cached documents, characters; the least recently used are dropped beyond it. */
  maxTotalChars: 600_000,
  /** Over all indexed documents, tokens (a character can be up to three byte tokens). */
  maxTotalTokens: 250_000,
  maxDocuments: 32,
} as const;

export interface CompleteRequest {
  type: 'complete';
  id: number;
  prompt: string;
  options: GenerationOptions;
}

export type HostToWorker =
  | LoadRequest
  | CompleteRequest
  | AttentionRequest // the attention panel: src/attention/workerProtocol.ts, answered by src/engine/attention.ts
  | CacheMessage
  | { type: 'cancel'; id: number }
  | { type: 'dispose' };

const STOP_REASONS = ['eos', 'stop', 'maxTokens', 'contextFull'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface GenerationTimings {
  /** Tokens in the prompt after truncation to the context window. */
  promptTokens: number;
  /** Prompt tokens whose keys/values came from the previous request's cache (not run again). */
  reusedTokens: number;
  /** Time to run the non-reused prompt tokens, ms. */
  prefillMs: number;
  /** Time from the first to the last generated token, ms. */
  decodeMs: number;
  /** Generated tokens per second of decode time. */
  tokensPerSecond: number;
}

/** Special tokens of the fill-in-the-middle format (StarCoder spelling, also ours). */
export const FIM_TOKENS = { prefix: '<fim_prefix>', suffix: '<fim_suffix>', middle: '<fim_middle>' } as const;

/**
 * Order of a fill-in-the-middle prompt. `psm`: `<fim_prefix>` prefix `<fim_suffix>` suffix `<fim_middle>`
 * (StarCoder's default). `spm`: `<fim_prefix><fim_suffix>` suffix `<fim_middle>` prefix, so the middle
 * continues the prefix directly, as in left-to-right text (Bavarian et al. 2022's SPM variant; our models).
 */
export type FimOrder = 'psm' | 'spm';
export const FIM_ORDERS: readonly FimOrder[] = ['psm', 'spm'];

export interface ModelCapabilities {
  /** The FIM order the model was trained for (its tokenizer has the FIM tokens), or false. */
  fim: FimOrder | false;
}

export interface ModelInfo {
  /** Display name: the embedded name, the Hub id, or the folder's base name. */
  name: string;
  /** Absolute folder the model was loaded from. */
  dir: string;
  /** `config.json` `model_type` (gpt2, llama, ...). */
  modelType: string;
  /** The ONNX file that runs completions, relative to `dir`. */
  onnxFile: string;
  /** Why `onnxFile` is not the graph localGpt.quantized asked for (that one is missing), for the log. */
  note?: string;
  backend: BackendName;
  /** Maximum sequence length (prompt + generated tokens). */
  contextLength: number;
  vocabSize: number;
  capabilities: ModelCapabilities;
}

const ERROR_CODES = [
  'badMessage', // the message did not match the protocol
  'notLoaded', // a request needed a model before one was loaded
  'modelNotFound', // folder missing, Hub 404
  'invalidModel', // folder present but unusable
  'downloadsDisabled', // a Hub model is not cached and allowDownloads is off
  'downloadFailed', // HTTP error, interrupted, verification failed
  'backendFailed', // the chosen ONNX Runtime could not start
  'generationFailed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const PROGRESS_PHASES = ['download', 'load'] as const;
export type ProgressPhase = (typeof PROGRESS_PHASES)[number];

export type WorkerToHost =
  | { type: 'started'; backend: BackendName; reason: string }
  | { type: 'progress'; id: number; phase: ProgressPhase; file: string; loadedBytes: number; totalBytes: number | null }
  | { type: 'ready'; id: number; model: ModelInfo; loadMs: number }
  | { type: 'result'; id: number; text: string; generatedTokens: number; stopReason: StopReason; timings: GenerationTimings }
  | { type: 'cancelled'; id: number }
  /** A model request (complete, attention) is still waiting or running (every ALIVE_INTERVAL_MS until its reply): the host's hang deadline restarts. */
  | { type: 'alive'; id: number }
  | AttentionResultMessage
  | { type: 'error'; id: number | null; code: ErrorCode; message: string }
  | { type: 'disposed' };

/** How often a waiting or running model request says it is alive, ms. */
export const ALIVE_INTERVAL_MS = 2000;

// ---------------------------------------------------------------------------------------------
// Validation: each message type is one table row of checks (src/validation/checks.ts).

const requestId = num({ int: true, min: 0 });

const modelSource = tagged('kind', {
  embedded: { name: str, dir: str },
  local: { dir: str },
  hub: { id: str, revision: str },
});

const generationOptionsCheck = object({
  maxNewTokens: num({ int: true, min: 1, max: 4096 }),
  temperature: num({ min: 0, max: 10 }),
  topK: num({ int: true, min: 0 }),
  topP: num({ min: 0, max: 1 }),
  seed: num({ int: true }),
  stop: arrayOf(str),
  heal: optional(bool),
  lineStop: optional(object({ linePrefix: str, lineSuffix: str, nextLines: arrayOf(str), linesAbove: arrayOf(str), multiline: bool })),
  beamWidth: optional(num({ int: true, min: 1, max: MAX_BEAM_WIDTH })),
  cache: optional(object({ documentKey: str, languageId: str, cursorOffset: num({ int: true, min: 0 }) })),
});

/** One row per host -> worker message type: field -> check (the `type` field is implied). */
const HOST_MESSAGE_VALIDATORS: Record<HostToWorker['type'], Record<string, Check>> = {
  load: { id: requestId, source: modelSource, quantized: bool, cacheDir: str, allowDownloads: bool, remoteHost: str },
  complete: { id: requestId, prompt: str, options: generationOptionsCheck },
  cancel: { id: requestId },
  dispose: {},
  attention: ATTENTION_REQUEST_FIELDS,
  cacheDocument: { key: str, languageId: str, version: num({ int: true }), text: str },
  cacheEdit: {
    key: str,
    version: num({ int: true }),
    edits: arrayOf(object({ offset: num({ int: true, min: 0 }), deleteCount: num({ int: true, min: 0 }), text: str })),
  },
  cacheForget: { key: str },
};

const timings = object({
  promptTokens: num({ int: true, min: 0 }),
  reusedTokens: num({ int: true, min: 0 }),
  prefillMs: num({ min: 0 }),
  decodeMs: num({ min: 0 }),
  tokensPerSecond: num({ min: 0 }),
});

const modelInfo = object({
  name: str,
  dir: str,
  modelType: str,
  onnxFile: str,
  note: optional(str),
  backend: oneOf(BACKEND_NAMES),
  contextLength: num({ int: true, min: 1 }),
  vocabSize: num({ int: true, min: 1 }),
  capabilities: object({ fim: (v, path) => (v === false ? null : oneOf(FIM_ORDERS)(v, path)) }),
});

const WORKER_MESSAGE_VALIDATORS: Record<WorkerToHost['type'], Record<string, Check>> = {
  started: { backend: oneOf(BACKEND_NAMES), reason: str },
  progress: { id: requestId, phase: oneOf(PROGRESS_PHASES), file: str, loadedBytes: num({ min: 0 }), totalBytes: nullable(num({ min: 0 })) },
  ready: { id: requestId, model: modelInfo, loadMs: num({ min: 0 }) },
  result: { id: requestId, text: str, generatedTokens: num({ int: true, min: 0 }), stopReason: oneOf(STOP_REASONS), timings },
  cancelled: { id: requestId },
  alive: { id: requestId },
  attentionResult: ATTENTION_RESULT_FIELDS,
  error: {
    id: nullable(requestId),
    code: oneOf(ERROR_CODES),
    message: str,
  },
  disposed: {},
};

function parseWith<T>(validators: Record<string, Record<string, Check>>, data: unknown, side: string): Parsed<T> {
  const error = tagged('type', validators)(data, side);
  return error ? { ok: false, error } : { ok: true, message: data as T };
}

/** Validates a message received by the worker. */
export function parseHostMessage(data: unknown): Parsed<HostToWorker> {
  return parseWith<HostToWorker>(HOST_MESSAGE_VALIDATORS, data, 'message');
}

/** Validates a message received by the host. */
export function parseWorkerMessage(data: unknown): Parsed<WorkerToHost> {
  return parseWith<WorkerToHost>(WORKER_MESSAGE_VALIDATORS, data, 'message');
}

/** The id of a request-shaped message, if it has one, so an error reply can name it. */
export function messageIdOf(data: unknown): number | null {
  // Only an id the host's validator accepts (a negative one would make the error reply itself malformed).
  return isRecord(data) && typeof data.id === 'number' && Number.isInteger(data.id) && data.id >= 0 ? data.id : null;
}
