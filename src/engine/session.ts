/**
 * A loaded model: tokenizer + ONNX session(s) from one folder, on the worker's backend.
 *
 * `EngineSession` is the worker's handle on the model, shared by every request type: completion
 * runs `lm` (a `CausalLm`: on graphs exported by this project, ONNX Runtime called directly with the
 * KV cache in our own buffers, `OwnedCacheLm`; on any other graph, the transformers.js model's
 * forward with its `present.*` outputs as the cache, `TransformersCausalLm`), and
 * other features (the attention panel) can reuse the tokenizer, load sibling graphs of the same
 * folder (`loadGraph('model_attentions')`) or the completion graph with its attention probabilities as
 * outputs (`attentionGraph()`), with the same backend options.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import { onnxFileOf, type OnnxDtype } from '../model/folderLayout';
import { withAttentionOutputs } from '../model/attentionGraph';
import { sessionOptionsFor, type Transformers } from './backend';
import type { CausalLm } from './generate';
import { graphMismatch, ModelFolderError, type ModelFolder } from './modelFolder';
import { aroundOf, hookSession } from './nativeActivity';
import { OwnedKvCache, type KvShape } from './ownedKvCache';
import type { BackendName, ModelInfo } from './protocol';

/** Keys/values of the tokens run so far, as transformers.js tensors keyed by the model's `past_key_values.*` (and other state) input names. */
interface TransformersKvCache {
  /** Tokens the cache covers. */
  length: number;
  /** Input name -> tensor; attention entries are [batch, kv_heads, length, head_dim]. */
  entries: Record<string, Tensor>;
}

/** Maps a graph output name to the input name it feeds next step (as transformers.js does). */
function pastNameOf(outputName: string): string | null {
  if (outputName.startsWith('present.')) return `past_key_values.${outputName.slice('present.'.length)}`;
  if (outputName.startsWith('present_')) return `past_${outputName.slice('present_'.length)}`; // recurrent state (ssm, conv)
  return null;
}

type TypedArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** The first `length` positions along the sequence axis (-2) of a [..., seq, d] tensor's data. */
export function sliceSequence<T extends TypedArray>(data: T, dims: readonly number[], length: number): T {
  const seq = dims[dims.length - 2];
  const inner = dims[dims.length - 1];
  const outer = dims.slice(0, -2).reduce((a, b) => a * b, 1);
  const Ctor = data.constructor as new (n: number) => T;
  const out = new Ctor(outer * length * inner);
  for (let o = 0; o < outer; o++) {
    (out as unknown as { set(a: ArrayLike<unknown>, at: number): void }).set(
      data.subarray(o * seq * inner, o * seq * inner + length * inner) as ArrayLike<unknown>,
      o * length * inner,
    );
  }
  return out;
}

/** The cache of either language model below; each accepts only its own kind. */
export type SessionKv = TransformersKvCache | OwnedKvCache;

export class TransformersCausalLm implements CausalLm<SessionKv> {
  private readonly inputNames: readonly string[];

  constructor(
    private readonly transformers: Transformers,
    private readonly model: PreTrainedModel,
    readonly contextLength: number,
    readonly eosTokenIds: readonly number[],
  ) {
    const session = (model as unknown as { sessions: Record<string, { inputNames: string[] }> }).sessions.model;
    this.inputNames = session?.inputNames ?? [];
  }

  async forward(ids: readonly number[], pastKv: SessionKv | null): Promise<{ logits: Float32Array; past: TransformersKvCache }> {
    const past = pastKv === null ? null : ownKind(pastKv);
    const { Tensor } = this.transformers;
    const pastLength = past?.length ?? 0;
    const n = ids.length;
    const total = pastLength + n;
    const inputs: Record<string, unknown> = {
      input_ids: new Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
      attention_mask: new Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(pastLength + i)), [1, n]),
      past_key_values: past?.entries ?? null,
    };
    // Graphs that can skip the logits of all but the last position (optimum exports) save a [n, vocab] matmul.
    if (this.inputNames.includes('num_logits_to_keep')) inputs.num_logits_to_keep = new Tensor('int64', [1n], []);
    const out = (await this.model.forward(inputs)) as Record<string, Tensor>;

    const logits = out.logits;
    const vocab = logits.dims[logits.dims.length - 1];
    const rows = logits.data.length / vocab;
    const last = logits.data.subarray((rows - 1) * vocab, rows * vocab) as ArrayLike<number>;
    const row = Float32Array.from(last); // a copy: the caller keeps rows, and the output may hold [n, vocab]

    const entries: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(out)) {
      const pastName = pastNameOf(name);
      if (pastName) entries[pastName] = tensor;
    }
    return { logits: row, past: { length: total, entries } };
  }

  truncate(pastKv: SessionKv, length: number): TransformersKvCache | null {
    const past = ownKind(pastKv);
    if (length === past.length) return past;
    if (length > past.length) return null;
    const { Tensor } = this.transformers;
    const entries: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(past.entries)) {
      // Only attention keys/values have a sequence axis; recurrent state cannot be rewound.
      if (!name.startsWith('past_key_values.')) return null;
      const dims = [...tensor.dims];
      dims[dims.length - 2] = length;
      entries[name] = new Tensor(tensor.type, sliceSequence(tensor.data as TypedArray, tensor.dims, length), dims);
    }
    return { length, entries };
  }
}

function ownKind(past: SessionKv): TransformersKvCache {
  if (past instanceof OwnedKvCache) throw new Error('internal: an OwnedKvCache passed to TransformersCausalLm');
  return past;
}

/** The ONNX Runtime session transformers.js created, as much of it as we call. */
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[];
  readonly outputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[];
  run(feeds: Record<string, unknown>, fetches: readonly string[]): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release?(): Promise<void>;
}

/** The completion graph with `decoder_attentions.{i}` outputs (src/model/attentionGraph.ts). */
interface DerivedGraph {
  /** The completion graph's file it was derived from. */
  file: string;
  /** Attention outputs in layer order; empty (and no session) when the graph names none. */
  outputs: string[];
  session: OrtSession | null;
}

const NEW_KV = /^new_key_values\.(\d+)\.(key|value)$/;
const PAST_KV = /^past_key_values\.(\d+)\.(key|value)$/;
const OWNED_CACHE_INPUTS = new Set(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep']);

/**
 * The completion graph's ORT session and cache shape when it can run with an owned cache: it
 * outputs `new_key_values.{i}.key/value` for every `past_key_values.{i}.*` input (our exports) and
 * takes no inputs beyond the standard ones; null for any other graph.
 */
function ownedCacheSupport(session: OrtSession, contextLength: number): { shape: KvShape; entryNames: string[] } | null {
  const pastNames = session.inputNames.filter((n) => PAST_KV.test(n));
  if (pastNames.length === 0 || session.inputNames.some((n) => !PAST_KV.test(n) && !OWNED_CACHE_INPUTS.has(n))) return null;
  if (!['input_ids', 'attention_mask', 'num_logits_to_keep'].every((n) => session.inputNames.includes(n))) return null;
  const newNames = new Set(session.outputNames.filter((n) => NEW_KV.test(n)));
  if (!pastNames.every((n) => newNames.has(n.replace('past_key_values.', 'new_key_values.')))) return null;
  const dims = session.inputMetadata?.find((m) => m.name === pastNames[0])?.shape;
  const heads = dims?.[1];
  const headDim = dims?.[3];
  if (typeof heads !== 'number' || typeof headDim !== 'number') return null;
  return { shape: { entries: pastNames.length, heads, headDim, maxLength: contextLength }, entryNames: pastNames.map((n) => n.replace('past_key_values.', '')) };
}

/**
 * Runs the completion graph on ONNX Runtime directly, fetching only the last position's logits and
 * the new tokens' keys/values; the cache lives in `OwnedKvCache` buffers (see there for why).
 */
export class OwnedCacheLm implements CausalLm<SessionKv> {
  private readonly fetches: string[];
  /** attention_mask is all ones (batch 1, no padding): one buffer, viewed at each length. */
  private readonly ones: BigInt64Array;

  constructor(
    private readonly transformers: Transformers,
    private readonly session: OrtSession,
    private readonly shape: KvShape,
    /** `{i}.key` / `{i}.value`, in cache entry order. */
    private readonly entryNames: readonly string[],
    readonly contextLength: number,
    readonly eosTokenIds: readonly number[],
  ) {
    this.fetches = ['logits', ...entryNames.map((n) => `new_key_values.${n}`)];
    this.ones = new BigInt64Array(contextLength).fill(1n);
  }

  private tensor(type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]): unknown {
    return new this.transformers.Tensor(type, data, dims).ort_tensor;
  }

  async forward(ids: readonly number[], pastKv: SessionKv | null): Promise<{ logits: Float32Array; past: OwnedKvCache }> {
    const past = pastKv === null ? OwnedKvCache.empty(this.shape) : ownedKind(pastKv);
    const n = ids.length;
    const total = past.length + n;
    if (total > this.contextLength) throw new Error(`${total} tokens exceed the model's context of ${this.contextLength}`);
    const feeds: Record<string, unknown> = {
      input_ids: this.tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
      attention_mask: this.tensor('int64', this.ones.subarray(0, total), [1, total]),
      num_logits_to_keep: this.tensor('int64', BigInt64Array.of(1n), []),
    };
    if (this.session.inputNames.includes('position_ids')) {
      feeds.position_ids = this.tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(past.length + i)), [1, n]);
    }
    const { heads, headDim } = this.shape;
    this.entryNames.forEach((name, e) => {
      feeds[`past_key_values.${name}`] = this.tensor('float32', past.entry(e), [1, heads, past.length, headDim]);
    });
    const out = await this.session.run(feeds, this.fetches);
    const logits = out.logits.data as Float32Array;
    const vocab = out.logits.dims[out.logits.dims.length - 1];
    // One row (num_logits_to_keep = 1) in a buffer ONNX Runtime made for this call: the caller's own, no copy needed.
    const row = logits.subarray(logits.length - vocab);
    const fresh = this.entryNames.map((name) => out[`new_key_values.${name}`].data as Float32Array);
    return { logits: row, past: past.append(fresh, n) };
  }

  truncate(past: SessionKv, length: number): OwnedKvCache | null {
    const own = ownedKind(past);
    return length > own.length ? null : own.truncate(length);
  }
}

function ownedKind(past: SessionKv): OwnedKvCache {
  if (!(past instanceof OwnedKvCache)) throw new Error('internal: a transformers.js KV cache passed to OwnedCacheLm');
  return past;
}

interface OpenOptions {
  /** Display name for ModelInfo. */
  name: string;
  backend: BackendName;
  threads: number;
  /** Run our exports with the cache in our own buffers (default true; false: always through transformers.js). */
  ownedCache?: boolean;
  onProgress?: (file: string, loadedBytes: number, totalBytes: number | null) => void;
}

export class EngineSession {
  private readonly graphs = new Map<string, Promise<PreTrainedModel>>();
  private derived: Promise<DerivedGraph> | null = null;
  private texts: string[] | null = null;

  private constructor(
    readonly transformers: Transformers,
    readonly folder: ModelFolder,
    readonly info: ModelInfo,
    readonly tokenizer: PreTrainedTokenizer,
    /** The completion graph (`onnx/model.onnx` or `onnx/model_quantized.onnx`). */
    readonly model: PreTrainedModel,
    readonly lm: CausalLm<SessionKv>,
    private readonly options: OpenOptions,
  ) {}

  static async open(transformers: Transformers, folder: ModelFolder, options: OpenOptions): Promise<EngineSession> {
    const progress_callback = (p: { status: string; file?: string; loaded?: number; total?: number }) => {
      if (p.status === 'progress' && p.file) options.onProgress?.(p.file, p.loaded ?? 0, p.total ?? null);
    };
    const tokenizer = await transformers.AutoTokenizer.from_pretrained(folder.dir, { local_files_only: true });
    const model = await transformers.AutoModelForCausalLM.from_pretrained(folder.dir, {
      local_files_only: true,
      dtype: folder.dtype,
      ...sessionOptionsFor(options.backend, options.threads),
      progress_callback,
    });
    const info: ModelInfo = {
      name: options.name,
      dir: folder.dir,
      modelType: folder.modelType,
      onnxFile: folder.onnxFile,
      ...(folder.note ? { note: folder.note } : {}),
      backend: options.backend,
      contextLength: folder.contextLength,
      vocabSize: folder.vocabSize,
      capabilities: folder.capabilities,
    };
    const ortSession = (model as unknown as { sessions: Record<string, OrtSession> }).sessions.model;
    const mismatch = ortSession ? graphMismatch(folder, ortSession) : null;
    if (mismatch) {
      await model.dispose();
      throw new ModelFolderError('invalidModel', mismatch);
    }
    const owned = options.ownedCache === false || !ortSession ? null : ownedCacheSupport(ortSession, folder.contextLength);
    const lm = owned
      ? new OwnedCacheLm(transformers, ortSession, owned.shape, owned.entryNames, folder.contextLength, folder.eosTokenIds)
      : new TransformersCausalLm(transformers, model, folder.contextLength, folder.eosTokenIds);
    const session = new EngineSession(transformers, folder, info, tokenizer, model, lm, options);
    session.graphs.set(folder.onnxFile, Promise.resolve(model));
    return session;
  }

  /**
   * Runs a short prompt and a few decode steps through the completion graph, so the first requests
   * do not pay for the runtime's first-run costs: allocation, and on WebAssembly compilation and
   * tier-up of the hot kernels (a decode step on the embedded model takes ~2x longer for the first
   * ~100 steps after one warm-up token than after this).
   */
  async warmUp(): Promise<void> {
    const eos = this.folder.eosTokenIds[0] ?? 0;
    const prompt = new Array<number>(Math.min(32, this.lm.contextLength - 9)).fill(eos);
    let { past } = await this.lm.forward(prompt, null);
    for (let i = 0; i < 8; i++) ({ past } = await this.lm.forward([eos], past));
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /** Text of every token id ('' for special tokens), for token healing; built on first use. */
  get tokenTexts(): readonly string[] {
    this.texts ??= Array.from({ length: this.info.vocabSize }, (_, id) => this.decode([id]));
    return this.texts;
  }

  /**
   * Another graph of the same folder, e.g. `loadGraph(ATTENTIONS_STEM)` for `onnx/model_attentions.onnx`,
   * on the same backend; loaded once and cached.
   */
  loadGraph(modelFileName: string, dtype: OnnxDtype = 'fp32'): Promise<PreTrainedModel> {
    const key = onnxFileOf(modelFileName, dtype);
    let graph = this.graphs.get(key);
    if (!graph) {
      graph = this.transformers.AutoModelForCausalLM.from_pretrained(this.folder.dir, {
        local_files_only: true,
        model_file_name: modelFileName,
        dtype,
        ...sessionOptionsFor(this.options.backend, this.options.threads),
      });
      this.graphs.set(key, graph);
      graph.catch(() => this.graphs.delete(key));
    }
    return graph;
  }

  /**
   * The completion graph (the file completions run, int8 or fp32) with its attention probabilities as
   * outputs, as a session on the same runtime with the same options; derived and loaded once.
   */
  attentionGraph(): Promise<DerivedGraph> {
    this.derived ??= this.openAttentionGraph();
    this.derived.catch(() => (this.derived = null));
    return this.derived;
  }

  private async openAttentionGraph(): Promise<DerivedGraph> {
    const file = path.join(this.folder.dir, this.folder.onnxFile);
    const { bytes, outputs } = withAttentionOutputs(await fs.promises.readFile(file), file);
    if (outputs.length === 0) return { file, outputs, session: null };
    const completion = (this.model as unknown as { sessions: Record<string, OrtSession> }).sessions.model;
    // The completion session's class is the runtime transformers.js chose (onnxruntime-node or -web).
    const runtime = completion?.constructor as unknown as { create?: (bytes: Uint8Array, options: Record<string, unknown>) => Promise<OrtSession> } | undefined;
    if (typeof runtime?.create !== 'function') throw new Error(`internal: cannot create an ONNX Runtime session for the attention graph of ${file}`);
    const options = { ...sessionOptionsFor(this.options.backend, this.options.threads).session_options, executionProviders: [this.options.backend === 'wasm' ? 'wasm' : 'cpu'] };
    // Through the runtime's native-call hooks, like the model's own sessions: a worker is never stopped inside one of its calls.
    const around = aroundOf(this.transformers);
    const session = await around(() => runtime.create!(bytes, options), 'load');
    return { file, outputs, session: hookSession(session, around) };
  }

  async dispose(): Promise<void> {
    const derived = this.derived;
    this.derived = null;
    try {
      await (await derived)?.session?.release?.();
    } catch {
      // a graph that failed to load has nothing to release
    }
    const graphs = [...this.graphs.values()];
    this.graphs.clear();
    for (const g of graphs) {
      try {
        await (await g).dispose();
      } catch {
        // a graph that failed to load has nothing to release
      }
    }
  }
}
