/**
 * Worker side of the attention panel: given the loaded model and a window of document text, run the
 * attention graph (the completion graph plus the outputs `decoder_attentions.{layer}` [batch, heads, q, k])
 * once, on the worker's backend, and turn its probabilities into an AttentionSnapshot (src/attention/types.ts).
 * The attention graph is the folder's `onnx/model_attentions.onnx` when it has one (other exporters,
 * older exports), else the completion graph itself with those tensors made outputs
 * (src/model/attentionGraph.ts): the numbers are then exactly those of the graph completions run.
 *
 * - Window: the request's text is tokenized, tokens are placed at document offsets (byte-level BPE:
 *   src/attention/layout.ts), and at most `maxTokens` (and the model's context) are kept around the cursor.
 * - Last completion: the generated tokens follow the prompt's, so row (first generated - 1) is what the
 *   model looked at to write the first generated token, and so on. When the request names the worker's
 *   last result (`completion.resultId`), the window is exactly that result's prompt ids and generated ids
 *   (src/attention/exactWindow.ts): header line, suffix and healing as the model saw them, nothing cut or
 *   re-tokenized. Otherwise (the worker has answered another request since) it is recomputed over
 *   "document text before the completion + completion", and the snapshot's `note` says so. The note also
 *   says when the completion ran on another graph (int8) than the attention graph (fp32).
 * - Size cap: every row goes out while L·H·T² ≤ FULL_MATRIX_MAX_VALUES; longer windows send only the
 *   query's row, the completion's rows and the rows asked for (at most MAX_PARTIAL_ROWS). Rollout is
 *   computed here, where every row of every layer exists.
 * - A model without attention outputs gets a clear `unsupported` outcome saying how to export one.
 * The last forward pass is cached, so asking for another row of the same window costs no model run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { meanOverHeads, rolloutRows } from '../attention/aggregate';
import { placeExactTokens, type ExactCompletion } from '../attention/exactWindow';
import { alignTokens, limitTokens, tokenBeforeOffset, type TokenPiece } from '../attention/layout';
import { FULL_MATRIX_MAX_VALUES, MAX_PARTIAL_ROWS, type AttentionSnapshot, type AttentionToken } from '../attention/types';
import type { AttentionOutcome, AttentionRequest } from '../attention/workerProtocol';
import { ATTENTIONS_FILE, ATTENTIONS_STEM } from '../model/folderLayout';
import { byteLevelToBytes } from '../model/tokenizer/byteLevel';
import { ATTENTION_OUTPUT_PREFIX } from '../model/attentionGraph';
import { FIM_TOKENS } from './protocol';
import type { EngineSession } from './session';

const UNSUPPORTED_HOW_TO =
  'Export the model with the project exporter, whose graphs name each layer\'s softmax output `decoder_attentions.{i}`: ' +
  '`npx tsx training/export.ts --weights <trainer output> --tokenizer <tokenizer dir> --out models/<name>`. ' +
  'Any model folder works if its completion graph has tensors `decoder_attentions.0` … `decoder_attentions.{n_layer-1}` ' +
  '(each [batch, heads, query, key] softmax probabilities), or if onnx/model_attentions.onnx is the completion graph with those as outputs.';

/** Attention probabilities of one forward pass: per layer [H, T, T] (row = query, column = key). */
export interface AttentionRun {
  nHead: number;
  layers: Float32Array[];
}

/** What computeAttention needs from a loaded model (EngineSession in the worker, fakes in tests). */
export interface AttentionModel {
  name: string;
  contextLength: number;
  /** The text's tokens with their bytes (byte-level BPE), without added special tokens. */
  tokenize(text: string): TokenPiece[];
  /** The bytes of the given token ids. */
  pieces(ids: readonly number[]): TokenPiece[];
  /** Why the model cannot give attention (no graph, no attention outputs), or null when it can. */
  unsupportedReason(): Promise<string | null>;
  /** Runs the attention graph over `ids` (positions 0..T-1, no cache). */
  run(ids: readonly number[]): Promise<AttentionRun>;
  /** The graph the numbers come from, relative to the model folder (absent: the completion graph). */
  graphFile?(): Promise<string>;
}

/** The window after tokenization and the maxTokens cap. */
interface PlannedWindow {
  tokens: AttentionToken[];
  queryToken: number;
  generatedFrom: number;
  /** Tokens of the request's text dropped before/after the window. */
  droppedBefore: number;
  droppedAfter: number;
}

/** Tokenizes and cuts the window (pure apart from `tokenize`; unit-tested). */
function planWindow(model: Pick<AttentionModel, 'tokenize' | 'contextLength'>, req: Omit<AttentionRequest, 'type' | 'id'>): PlannedWindow {
  const prompt = alignTokens(req.text, req.baseOffset, model.tokenize(req.text));
  const cap = Math.max(1, Math.min(req.maxTokens, model.contextLength));
  if (req.completion && req.completion.text.length > 0) {
    const c = req.completion;
    let generated = alignTokens(c.text, c.offset, model.tokenize(c.text), { generated: true });
    if (!c.inDocument) generated = generated.map((t) => ({ ...t, start: c.offset, end: c.offset }));
    generated = generated.slice(0, Math.max(1, Math.floor(cap / 2))); // keep room for the prompt
    const keepPrompt = Math.max(0, Math.min(prompt.length, cap - generated.length));
    const tokens = [...prompt.slice(prompt.length - keepPrompt), ...generated];
    const generatedFrom = keepPrompt;
    return {
      tokens,
      // The last prompt token's row is what the model looked at to write the first generated token.
      queryToken: Math.max(0, generatedFrom - 1),
      generatedFrom,
      droppedBefore: prompt.length - keepPrompt,
      droppedAfter: 0,
    };
  }
  const query = prompt.length === 0 ? 0 : tokenBeforeOffset(prompt, req.cursor);
  const { from, to } = limitTokens(prompt.length, query, cap);
  return { tokens: prompt.slice(from, to), queryToken: query - from, generatedFrom: -1, droppedBefore: from, droppedAfter: prompt.length - to };
}

/** The exact window of the worker's last completion (no cap: these are the tokens the model saw). */
function planExactWindow(model: Pick<AttentionModel, 'pieces'>, req: Omit<AttentionRequest, 'type' | 'id'>, exact: ExactCompletion): PlannedWindow {
  const c = req.completion!;
  const tokens = placeExactTokens(model.pieces(exact.promptIds), model.pieces(exact.generatedIds), {
    textBefore: req.text,
    baseOffset: req.baseOffset,
    completionOffset: c.offset,
    acceptedText: c.inDocument ? c.text : null,
    healed: exact.healed,
    fimSuffixToken: FIM_TOKENS.suffix,
  });
  const generatedFrom = exact.promptIds.length;
  return { tokens, queryToken: generatedFrom - 1, generatedFrom, droppedBefore: tokens[0].start > req.baseOffset ? 1 : 0, droppedAfter: 0 };
}

/**
 * What the panel says about where the numbers come from, or null when they are the plain case: the
 * exact input of the completion, through the graph it ran on. `graphFile` is the graph the attention
 * numbers came from (relative to the model folder), when the model says.
 */
function graphNote(req: Omit<AttentionRequest, 'type' | 'id'>, exact: ExactCompletion | null, graphFile: string | null): string | null {
  if (!req.completion) return null;
  if (!exact) {
    return 'Recomputed: the worker no longer holds this completion\'s exact input (it has answered another request since), ' +
      'so the window is the document text re-tokenized, without the prompt\'s header line.';
  }
  if (graphFile === null || graphFile === exact.completionGraph) return null;
  const int8 = /quantized/.test(exact.completionGraph) ? ' (int8)' : '';
  return `Weights from the separate attention graph ${graphFile}; the completion ran on ${exact.completionGraph}${int8}, whose probabilities may differ slightly.`;
}

/** Which query rows a snapshot carries: all when small enough, else the important ones (ascending). */
function chooseRows(T: number, nLayer: number, nHead: number, queryToken: number, generatedFrom: number, asked: readonly number[]): { rows: number[]; full: boolean } {
  if (nLayer * nHead * T * T <= FULL_MATRIX_MAX_VALUES) return { rows: Array.from({ length: T }, (_, i) => i), full: true };
  const wanted: number[] = [queryToken];
  for (let i = asked.length - 1; i >= 0; i--) wanted.push(asked[i]); // most recently asked first
  if (generatedFrom >= 0) for (let g = generatedFrom; g < T; g++) wanted.push(g - 1, g);
  const set = new Set<number>();
  for (const r of wanted) {
    if (Number.isInteger(r) && r >= 0 && r < T) set.add(r);
    if (set.size >= MAX_PARTIAL_ROWS) break;
  }
  return { rows: [...set].sort((a, b) => a - b), full: false };
}

/** Cuts [L][H, T, T] down to the snapshot's [L, H, R, T] and rollout [R, T]. */
function packRows(run: AttentionRun, T: number, rows: readonly number[]): { probs: Float32Array; rollout: Float32Array } {
  const L = run.layers.length;
  const H = run.nHead;
  const R = rows.length;
  const probs = new Float32Array(L * H * R * T);
  const means: Float32Array[] = [];
  for (let l = 0; l < L; l++) {
    const layer = run.layers[l];
    if (layer.length !== H * T * T) throw new Error(`decoder_attentions.${l} has ${layer.length} values, expected [1, ${H}, ${T}, ${T}]`);
    for (let h = 0; h < H; h++) {
      for (let r = 0; r < R; r++) {
        const src = (h * T + rows[r]) * T;
        probs.set(layer.subarray(src, src + T), ((l * H + h) * R + r) * T);
      }
    }
    means.push(meanOverHeads(layer, H, T, T));
  }
  return { probs, rollout: rolloutRows(means, T, rows) };
}

interface CachedRun {
  key: string;
  run: AttentionRun;
}

/** Runs one attention request against `model`. `cache` keeps the last forward pass between calls. */
export async function computeAttention(
  model: AttentionModel,
  req: Omit<AttentionRequest, 'type' | 'id'>,
  cache: { last: CachedRun | null } = { last: null },
  now: () => number = () => performance.now(),
  last: ExactCompletion | null = null,
): Promise<AttentionOutcome> {
  const started = now();
  const reason = await model.unsupportedReason();
  if (reason) return { kind: 'unsupported', message: reason, howTo: UNSUPPORTED_HOW_TO };
  const exact = req.completion && last && req.completion.resultId === last.resultId && last.generatedIds.length > 0 ? last : null;
  const plan = exact ? planExactWindow(model, req, exact) : planWindow(model, req);
  const note = graphNote(req, exact, (await model.graphFile?.()) ?? null);
  const T = plan.tokens.length;
  if (T === 0) {
    const snapshot: AttentionSnapshot = {
      model: model.name, nLayer: 1, nHead: 1, tokens: [], rows: [], probs: new Float32Array(0), rollout: new Float32Array(0),
      full: true, queryToken: 0, generatedFrom: -1, clipped: { before: false, after: false }, startLine: req.baseLine, elapsedMs: now() - started,
    };
    return { kind: 'ok', snapshot };
  }
  const ids = plan.tokens.map((t) => t.id);
  const key = ids.join(',');
  let run: AttentionRun;
  if (cache.last?.key === key) run = cache.last.run;
  else {
    run = await model.run(ids);
    cache.last = { key, run };
  }
  const { rows, full } = chooseRows(T, run.layers.length, run.nHead, plan.queryToken, plan.generatedFrom, req.rows);
  const { probs, rollout } = packRows(run, T, rows);
  // Lines dropped before the window shift its first line.
  const droppedText = plan.droppedBefore > 0 ? req.text.slice(0, plan.tokens[0].start - req.baseOffset) : '';
  const startLine = req.baseLine + countLineBreaks(droppedText);
  const snapshot: AttentionSnapshot = {
    model: model.name,
    nLayer: run.layers.length,
    nHead: run.nHead,
    tokens: plan.tokens,
    rows,
    probs,
    rollout,
    full,
    queryToken: plan.queryToken,
    generatedFrom: plan.generatedFrom,
    clipped: { before: req.baseOffset > 0 || plan.droppedBefore > 0, after: plan.droppedAfter > 0 },
    startLine,
    elapsedMs: now() - started,
    ...(note ? { note } : {}),
  };
  return { kind: 'ok', snapshot };
}

function countLineBreaks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// The worker's model: EngineSession (tokenizer + graphs on the worker's backend).

type Tensor = { data: unknown; dims: readonly number[] };

/** The graph one attention run goes through: a separate model_attentions.onnx, or the derived one. */
interface AttentionGraphRunner {
  file: string;
  outputs: string[];
  forward(ids: readonly number[]): Promise<Record<string, Tensor>>;
}

/** `onnx/model_attentions.onnx` through transformers.js (it builds the empty past). */
async function separateGraph(session: EngineSession, file: string): Promise<AttentionGraphRunner> {
  const graph = await session.loadGraph(ATTENTIONS_STEM);
  const sessions = (graph as unknown as { sessions?: Record<string, { outputNames?: string[] }> }).sessions;
  const outputs = (sessions?.model?.outputNames ?? []).filter((n) => n.startsWith(ATTENTION_OUTPUT_PREFIX));
  const { Tensor } = session.transformers;
  return {
    file,
    outputs,
    async forward(ids) {
      const T = ids.length;
      return (await graph.forward({
        input_ids: new Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, T]),
        attention_mask: new Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
        position_ids: new Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [1, T]),
        past_key_values: null,
      })) as Record<string, Tensor>;
    },
  };
}

/** The completion graph with its attention tensors as outputs, run on ONNX Runtime with an empty past. */
async function derivedGraph(session: EngineSession): Promise<AttentionGraphRunner> {
  const { file, outputs, session: ort } = await session.attentionGraph();
  const ortTensor = (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]) => new session.transformers.Tensor(type, data, dims).ort_tensor;
  return {
    file,
    outputs,
    async forward(ids) {
      if (!ort) throw new Error(`${file}: the graph has no ${ATTENTION_OUTPUT_PREFIX}* tensors`);
      const T = ids.length;
      const feeds: Record<string, unknown> = {
        input_ids: ortTensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, T]),
        attention_mask: ortTensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
      };
      if (ort.inputNames.includes('position_ids')) feeds.position_ids = ortTensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [1, T]);
      if (ort.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = ortTensor('int64', BigInt64Array.of(1n), []);
      for (const name of ort.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
        const dims = ort.inputMetadata?.find((m) => m.name === name)?.shape ?? [];
        const [heads, headDim] = [dims[1], dims[3]];
        if (typeof heads !== 'number' || typeof headDim !== 'number') throw new Error(`${file}: ${name} has shape [${dims.join(', ')}], expected [batch, heads, past, head_dim] with fixed heads and head_dim`);
        feeds[name] = ortTensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
      }
      return (await ort.run(feeds, outputs)) as Record<string, Tensor>;
    },
  };
}

/** An AttentionModel over the worker's loaded session; the attention graph loads on first use. */
function sessionAttentionModel(session: EngineSession): AttentionModel {
  const tokenizer = session.tokenizer;
  const special = new Set<string>(tokenizer.all_special_tokens ?? []);
  const encoder = new TextEncoder();
  const separate = path.join(session.folder.dir, ATTENTIONS_FILE);
  let runner: Promise<AttentionGraphRunner> | null = null;
  let tokenOf: string[] | null = null;
  const graph = (): Promise<AttentionGraphRunner> => {
    runner ??= fs.existsSync(separate) ? separateGraph(session, separate) : derivedGraph(session);
    runner.catch(() => (runner = null));
    return runner;
  };
  return {
    name: session.info.name,
    contextLength: session.info.contextLength,
    tokenize(text: string): TokenPiece[] {
      if (text.length === 0) return [];
      const strings = tokenizer.tokenize(text);
      const ids = tokenizer.convert_tokens_to_ids(strings);
      return strings.map((s, i) => {
        const isSpecial = special.has(s);
        const bytes = isSpecial ? encoder.encode(s) : byteLevelToBytes(s);
        if (!bytes) throw new Error(`${path.join(session.folder.dir, 'tokenizer.json')}: token ${JSON.stringify(s)} is not byte-level BPE; the attention panel needs a byte-level tokenizer`);
        return { id: ids[i], bytes, special: isSpecial };
      });
    },
    pieces(ids: readonly number[]): TokenPiece[] {
      if (!tokenOf) {
        tokenOf = [];
        for (const [token, id] of tokenizer.get_vocab()) tokenOf[id] = token;
      }
      const table = tokenOf;
      return ids.map((id) => table[id] ?? '').map((s, i) => {
        const isSpecial = special.has(s);
        const bytes = isSpecial ? encoder.encode(s) : byteLevelToBytes(s);
        if (!bytes) throw new Error(`${path.join(session.folder.dir, 'tokenizer.json')}: token id ${ids[i]} is not byte-level BPE; the attention panel needs a byte-level tokenizer`);
        return { id: ids[i], bytes, special: isSpecial };
      });
    },
    async graphFile(): Promise<string> {
      return path.relative(session.folder.dir, (await graph()).file).split(path.sep).join('/');
    },
    async unsupportedReason(): Promise<string | null> {
      const { file, outputs } = await graph();
      if (outputs.length === 0) {
        return `The model “${session.info.name}” does not expose attention: ${file} has no ${ATTENTION_OUTPUT_PREFIX}* ${file === separate ? 'outputs' : `tensors and ${separate} is missing`}.`;
      }
      return null;
    },
    async run(ids: readonly number[]): Promise<AttentionRun> {
      const { file, forward } = await graph();
      const T = ids.length;
      const out = await forward(ids);
      const layers: Float32Array[] = [];
      let nHead = 0;
      for (let l = 0; ; l++) {
        const t = out[`${ATTENTION_OUTPUT_PREFIX}${l}`];
        if (!t) break;
        const dims = t.dims;
        if (dims.length !== 4 || dims[0] !== 1 || dims[2] !== T || dims[3] !== T || !(t.data instanceof Float32Array)) {
          throw new Error(`${file}: ${ATTENTION_OUTPUT_PREFIX}${l} has shape [${dims.join(', ')}], expected float32 [1, heads, ${T}, ${T}]`);
        }
        nHead = dims[1];
        layers.push(t.data);
      }
      if (layers.length === 0) throw new Error(`${file}: the graph returned no ${ATTENTION_OUTPUT_PREFIX}* outputs`);
      return { nHead, layers };
    },
  };
}

const models = new WeakMap<EngineSession, { model: AttentionModel; cache: { last: CachedRun | null } }>();

/**
 * Answers an `attention` request on the worker's session (one AttentionModel and run cache per session);
 * `last` is the worker's last completion, explained exactly when the request names it.
 */
export function attentionForSession(session: EngineSession, req: AttentionRequest, last: ExactCompletion | null = null): Promise<AttentionOutcome> {
  let entry = models.get(session);
  if (!entry) {
    entry = { model: sessionAttentionModel(session), cache: { last: null } };
    models.set(session, entry);
  }
  return computeAttention(entry.model, req, entry.cache, undefined, last);
}
