/**
 * A loaded model: tokenizer + ONNX session(s) from one folder, on the worker's backend.
 *
 * `EngineSession` is the worker's handle on the model, shared by every request type: completion
 * runs `lm` (a `CausalLm`: on graphs exported by this project, ONNX Runtime called directly with the
 * KV cache in our own buffers, `OwnedCacheLm` in ./ownedCacheLm.ts; on any other graph, the
 * transformers.js model's forward with its `present.*` outputs as the cache, `TransformersCausalLm`
 * in ./transformersLm.ts; `open` picks one), and
 * other features (the attention panel) can reuse the tokenizer, load sibling graphs of the same
 * folder (`loadGraph('model_attentions')`) or the completion graph with its attention probabilities as
 * outputs (`attentionGraph()`), with the same backend options.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import { onnxFileOf, type OnnxDtype } from '../model/folderLayout';
import { withAttentionOutputs } from '../model/attentionGraph';
import { withoutPresentOutputs } from '../model/decodeGraph';
import type { BpeTokenizer } from '../model/tokenizer';
import { sessionOptionsFor, type Transformers } from './backend';
import type { CausalLm } from './generate';
import { graphMismatch, ModelFolderError, type ModelFolder } from './modelFolder';
import { aroundOf, hookSession } from './nativeActivity';
import { OwnedCacheLm, ownedCacheSupport, type OrtSession } from './ownedCacheLm';
import { sameTokenizer } from './ownTokenizer';
import type { BackendName, ModelInfo } from './protocol';
import { TransformersCausalLm, type SessionKv } from './transformersLm';

/** The completion graph with `decoder_attentions.{i}` outputs (src/model/attentionGraph.ts). */
interface DerivedGraph {
  /** The completion graph's file it was derived from. */
  file: string;
  /** Attention outputs in layer order; empty (and no session) when the graph names none. */
  outputs: string[];
  session: OrtSession | null;
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
    /** The session `lm` runs when it is not the completion graph's own (openDecodeGraph); released with this. */
    private readonly decodeSession: OrtSession | null,
    /** The folder's tokenizer in the project's own BPE code, when it encodes as transformers.js does (./ownTokenizer.ts). */
    private readonly ownTokenizer: BpeTokenizer | null,
  ) {}

  /** The ONNX Runtime session `lm` calls (for measuring it): the decode graph's, or the completion graph's own. */
  get lmSession(): OrtSession {
    return this.decodeSession ?? completionSessionOf(this.model)!;
  }

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
    const ortSession = completionSessionOf(model);
    const mismatch = ortSession ? graphMismatch(folder, ortSession) : null;
    if (mismatch) {
      await model.dispose();
      throw new ModelFolderError('invalidModel', mismatch);
    }
    const owned = options.ownedCache === false || !ortSession ? null : ownedCacheSupport(ortSession, folder.contextLength);
    const decode = owned && ortSession ? await openDecodeGraph(transformers, ortSession, folder, options) : null;
    const lm = owned && decode
      ? new OwnedCacheLm(transformers, decode, owned.shape, owned.entryNames, folder.contextLength, folder.eosTokenIds)
      : new TransformersCausalLm(transformers, model, folder.contextLength, folder.eosTokenIds);
    const session = new EngineSession(transformers, folder, info, tokenizer, model, lm, options, decode !== ortSession ? decode : null, sameTokenizer(folder.dir, folder.vocabSize, tokenizer));
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
    return this.ownTokenizer ? this.ownTokenizer.encode(text) : this.tokenizer.encode(text);
  }

  decode(ids: readonly number[]): string {
    return this.ownTokenizer ? this.ownTokenizer.decode(ids, { skipSpecialTokens: true }) : this.tokenizer.decode([...ids], { skip_special_tokens: true });
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
    return { file, outputs, session: await derivedSession(this.transformers, completionSessionOf(this.model), bytes, file, this.options) };
  }

  async dispose(): Promise<void> {
    const derived = this.derived;
    this.derived = null;
    try {
      await (await derived)?.session?.release?.();
    } catch {
      // a graph that failed to load has nothing to release
    }
    await this.decodeSession?.release?.();
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

/** The ONNX Runtime session transformers.js opened for the completion graph (its `model` session). */
function completionSessionOf(model: PreTrainedModel): OrtSession | undefined {
  return (model as unknown as { sessions: Record<string, OrtSession> }).sessions.model;
}

/**
 * A session for a graph derived in memory from the completion graph, on the runtime transformers.js
 * chose for it (onnxruntime-node or -web: the completion session's class) with the same options, its
 * native calls hooked like the model's own (a worker is never stopped inside one of its calls).
 */
async function derivedSession(transformers: Transformers, completion: OrtSession | undefined, bytes: Uint8Array, file: string, options: Pick<OpenOptions, 'backend' | 'threads'>): Promise<OrtSession> {
  const runtime = completion?.constructor as unknown as { create?: (bytes: Uint8Array, options: Record<string, unknown>) => Promise<OrtSession> } | undefined;
  if (typeof runtime?.create !== 'function') throw new Error(`internal: cannot create an ONNX Runtime session for a graph derived from ${file}`);
  const sessionOptions = { ...sessionOptionsFor(options.backend, options.threads).session_options, executionProviders: [options.backend === 'wasm' ? 'wasm' : 'cpu'] };
  const around = aroundOf(transformers);
  const session = await around(() => runtime.create!(bytes, sessionOptions), 'load');
  return hookSession(session, around);
}

/**
 * The session completions run with the engine's own cache: the completion graph without its
 * `present.*` outputs (src/model/decodeGraph.ts), or the completion session itself when nothing
 * can be removed.
 */
async function openDecodeGraph(transformers: Transformers, completion: OrtSession, folder: ModelFolder, options: OpenOptions): Promise<OrtSession> {
  const file = path.join(folder.dir, folder.onnxFile);
  const derived = withoutPresentOutputs(await fs.promises.readFile(file), file);
  return derived ? derivedSession(transformers, completion, derived.bytes, file, options) : completion;
}
