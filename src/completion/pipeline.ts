/**
 * The completion pipeline, stage by stage: context -> cache -> debounce -> prompt -> engine ->
 * post-processing -> cache. Plain TypeScript: the VS Code provider only converts its document and
 * token into a `DocumentSnapshot` and a `CancellationLike`, and the engine is behind an interface.
 */
import type { Settings } from '../config/settings';
import type { GenerationOptions, GenerationTimings, ModelCapabilities, StopReason } from '../engine/protocol';
import { snippetBlock, snippetLabel } from '../workspace/snippetBlock';
import { retrievalQuery, type WorkspaceContextProvider } from '../workspace/workspaceContext';
import { isAfterBlockExit } from './afterBlockExit';
import { CompletionCache } from './cache';
import { gatherContext, shortenPrefix, type CompletionContext, type DocumentSnapshot } from './context';
import { debounce, type CancellationLike } from './debounce';
import { noSuggestion, type NoSuggestion } from './outcome';
import { decideMultiline, postContextOf, postProcess, type PostContext } from './postprocess';
import { buildPrompt, type Prompt } from './prompt';

export interface EngineReply {
  /** Id of the worker request that produced it (names the worker's last result for Explain Attention). */
  resultId?: number;
  text: string;
  stopReason: StopReason;
  timings: GenerationTimings;
}

/** What the pipeline needs from the model (the worker client, or a fake in tests). */
export interface CompletionEngine {
  /** Null when the request was cancelled or superseded. Throws with a user-facing message on failure. */
  complete(prompt: string, options: GenerationOptions, token: CancellationLike): Promise<EngineReply | null>;
  /** Capabilities of the loaded model; null while none is loaded (prefix-only prompts then). */
  readonly capabilities: ModelCapabilities | null;
  /**
   * Loads the model when none is loaded (an engine that loads lazily, on its first request). The
   * pipeline calls it before it builds its first prompt: the prompt's format (FIM or prefix) and token
   * budget are the model's. Throws like `complete`.
   */
  ensureLoaded?(): Promise<unknown>;
  /** Context window of the loaded model, tokens; null while none is loaded. */
  readonly contextLength: number | null;
}

export type PipelineSettings = Pick<
  Settings,
  'debounceMs' | 'maxNewTokens' | 'temperature' | 'topK' | 'topP' | 'beamWidth' | 'seed' | 'contextTokens' | 'suffixTokens' | 'multiline' | 'tokenHealing'
> & Partial<Pick<Settings, 'workspace'>>;

export interface CompletionRequest extends DocumentSnapshot {
  /** Identity of the document (its URI string). */
  documentKey: string;
  /**
   * When the user last typed or moved the cursor in this document, in the pipeline's clock (`now`). The
   * debounce counts from there: VS Code asks for inline completions only after its own 50 ms wait, which
   * is part of the user's pause already. Absent: the debounce counts from the request.
   */
  lastActivityAt?: number;
}

/** A suggestion to show. */
export interface CompletionResult {
  kind: 'suggestion';
  text: string;
  source: 'cache' | 'model';
  /** From the request to the result, ms (debounce included). */
  latencyMs: number;
  /** Of `latencyMs`, the time the model took (from its start to its reply), ms; absent for a cache hit. */
  modelMs?: number;
  multiline: boolean;
  /** Present when the model ran. */
  prompt?: Prompt;
  resultId?: number;
  timings?: GenerationTimings;
  stopReason?: StopReason;
}

/** What one request ends with: a suggestion, or the reason there is none. */
export type CompletionOutcome = CompletionResult | NoSuggestion;

export interface PipelineOptions {
  /** Characters per token for the context budget estimate, until prompts have been measured. */
  charsPerToken: number;
  now: () => number;
  /** For `seed: -1` (a fresh seed per completion). */
  randomSeed: () => number;
  /** Retrieval and the copy model (`localGpt.workspace.*` turn each on); absent: the current document only. */
  workspace?: WorkspaceContextProvider;
  /**
   * How long before the debounce ends the model may start, ms (MODEL_HEAD_START_MS). Its suggestion
   * still shows only after the debounce.
   */
  modelHeadStartMs: number;
}

/**
 * The model's head start on the debounce, ms. With the default 75 ms debounce it starts as soon as
 * VS Code asks (VS Code asks only after a pause of its own): in the real editor the request came
 * 12-55 ms after the keystroke, so the model otherwise waited 20-63 ms idle first. A keystroke within
 * the head start wastes at most this much model time; a long debounce (a user who wants fewer model
 * runs) keeps most of its wait model-free.
 */
export const MODEL_HEAD_START_MS = 50;

const DEFAULT_OPTIONS: PipelineOptions = {
  charsPerToken: 3,
  now: () => performance.now(),
  randomSeed: () => Math.floor(Math.random() * 0x7fffffff),
  modelHeadStartMs: MODEL_HEAD_START_MS,
};

/** Documents whose window start is remembered (for prefix reuse). */
const MAX_REMEMBERED_DOCUMENTS = 64;
/** Tokens kept free in the model's window besides the new tokens (header line, estimate error). */
const WINDOW_MARGIN_TOKENS = 16;
/** Share of the prefix budget that retrieved snippets may take (the prefix keeps the rest, and all of it when nothing is retrieved). */
export const RETRIEVAL_SHARE = 0.25;

/**
 * The prefix budget in tokens: the setting, but never more than the model's window leaves after the
 * new tokens (and the suffix, for FIM), so the worker never has to cut the prompt's beginning.
 */
export function prefixTokenBudget(settings: PipelineSettings, contextLength: number | null, fim: boolean): number {
  if (contextLength === null) return settings.contextTokens;
  const room = contextLength - settings.maxNewTokens - WINDOW_MARGIN_TOKENS - (fim ? settings.suffixTokens : 0);
  return Math.max(16, Math.min(settings.contextTokens, room));
}

export class CompletionPipeline {
  readonly cache = new CompletionCache();
  private readonly windowStarts = new Map<string, number>();
  private readonly options: PipelineOptions;
  /** Measured characters per prompt token (a running mean over model replies). */
  private charsPerToken: number;
  /** The prompt of the last model request (for tests and the log). */
  lastPrompt: Prompt | null = null;

  constructor(
    private readonly engine: CompletionEngine,
    private readonly settings: () => PipelineSettings,
    options: Partial<PipelineOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.charsPerToken = this.options.charsPerToken;
  }

  /** Forgets cached completions (the model or the settings changed). */
  reset(): void {
    this.cache.clear();
  }

  /**
   * A suggestion, or the reason there is none (nothing to show, or the request was cancelled).
   * `overrides` change settings for this request only (an explicit trigger skips the debounce).
   */
  async complete(request: CompletionRequest, token: CancellationLike, overrides: Partial<PipelineSettings> = {}): Promise<CompletionOutcome> {
    const started = this.options.now();
    if (this.engine.capabilities === null && this.engine.ensureLoaded) {
      await this.engine.ensureLoaded();
      if (token.isCancellationRequested) return noSuggestion('cancelled');
    }
    const settings = { ...this.settings(), ...overrides };
    const fim = (this.engine.capabilities?.fim ?? false) !== false;
    const budget = {
      prefixTokens: prefixTokenBudget(settings, this.engine.contextLength, fim),
      suffixTokens: settings.suffixTokens,
      charsPerToken: this.charsPerToken,
    };
    let context = gatherContext(request, budget, this.windowStarts.get(request.documentKey));
    // Retrieval: its query is read now, with the document as asked about; the search runs after the
    // debounce. The snippets take at most RETRIEVAL_SHARE of the prefix budget.
    const workspace = this.options.workspace;
    const queryText = workspace && settings.workspace?.retrieval ? retrievalQuery(context.prefix) : null;
    const snippetTokens = Math.floor(budget.prefixTokens * RETRIEVAL_SHARE);
    this.rememberWindowStart(request.documentKey, context.prefixStartLine);
    // Binary-looking text (NUL characters) around the cursor: no completion, and no model run.
    if (context.prefix.includes('\u0000') || context.suffix.includes('\u0000')) return noSuggestion('binary');
    if (isAfterBlockExit(context.prefix, context.lineSuffix, context.languageId)) return noSuggestion('unreachable');
    const multiline = decideMultiline(context, settings.multiline);
    const cacheKey = { document: `${request.documentKey}\u0000${multiline}`, prefix: context.prefix, lineSuffix: context.lineSuffix };

    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) {
      return cached === '' ? noSuggestion('cachedEmpty') : { kind: 'suggestion', text: cached, source: 'cache', latencyMs: this.options.now() - started, multiline };
    }
    const pausedFor = request.lastActivityAt === undefined ? 0 : Math.max(0, started - request.lastActivityAt);
    // The model starts up to `modelHeadStartMs` before the debounce ends, and its suggestion is shown
    // once the debounce is over: the user waits for whichever takes longer, not for both in turn.
    const debounceLeft = settings.debounceMs - pausedFor;
    if (!(await debounce(debounceLeft - this.options.modelHeadStartMs, token))) return noSuggestion('debounced');
    const modelStart = this.options.now();
    const debounceOver = debounce(started + debounceLeft - modelStart, token);

    const hits = queryText !== null ? workspace!.findSnippets({ documentKey: request.documentKey, languageId: request.languageId, queryText }) : [];
    let snippets: ReturnType<typeof snippetBlock> | null = null;
    if (hits.length > 0) {
      snippets = snippetBlock(context.languageId, await workspace!.readSnippets(hits), Math.floor(snippetTokens * this.charsPerToken));
      if (token.isCancellationRequested) return noSuggestion((await debounceOver) ? 'cancelled' : 'debounced');
      // The prefix gives up only the room the snippets take: a fresh window leaves some free anyway (FRESH_START_FILL).
      if (snippets.used.length > 0) context = shortenPrefix(context, Math.floor(budget.prefixTokens * budget.charsPerToken) - snippets.text.length);
    }
    const prompt = buildPrompt(context, this.engine.capabilities ?? { fim: false }, snippets?.text);
    if (snippets && snippets.used.length > 0) prompt.snippets = snippets.used.map(snippetLabel);
    const post = postContextOf(context, multiline);
    const options = generationOptions(settings, post, this.options.randomSeed);
    const cacheTarget = workspace && settings.workspace?.cache ? workspace.cacheTarget(request.documentKey, request.offset) : null;
    if (cacheTarget) options.cache = cacheTarget;
    this.lastPrompt = prompt;
    const reply = await this.engine.complete(prompt.text, options, token);
    const modelMs = this.options.now() - modelStart;
    // A keystroke before the debounce was over: the user was still typing (debounced), else cancelled.
    if (!(await debounceOver)) return noSuggestion('debounced');
    if (reply === null || token.isCancellationRequested) return noSuggestion('cancelled');
    this.measure(prompt.text.length, reply.timings.promptTokens);

    const text = postProcess(reply.text, post);
    this.cache.set(cacheKey, text ?? ''); // '' remembers "nothing to show" for this spot
    if (text === null) return noSuggestion('empty');
    return {
      kind: 'suggestion',
      text,
      source: 'model',
      latencyMs: this.options.now() - started,
      modelMs,
      multiline,
      prompt,
      resultId: reply.resultId,
      timings: reply.timings,
      stopReason: reply.stopReason,
    };
  }

  /** Learns the tokenizer's characters per token from full (uncut) prompts; a prompt of a few tokens says little. */
  private measure(chars: number, tokens: number): void {
    if (tokens < 32) return;
    const ratio = Math.min(6, Math.max(1.5, chars / tokens));
    this.charsPerToken = 0.8 * this.charsPerToken + 0.2 * ratio;
  }

  private rememberWindowStart(documentKey: string, line: number): void {
    this.windowStarts.delete(documentKey);
    this.windowStarts.set(documentKey, line);
    if (this.windowStarts.size > MAX_REMEMBERED_DOCUMENTS) {
      this.windowStarts.delete(this.windowStarts.keys().next().value as string);
    }
  }
}

/**
 * Generation options for one request: single-line requests stop at the first line break; all stop
 * where post-processing would cut the text anyway (`lineStop`: a looping phrase; multi-line, a line
 * that repeats or leaves the block).
 */
export function generationOptions(settings: PipelineSettings, post: PostContext, randomSeed: () => number): GenerationOptions {
  const multiline = post.multiline;
  return {
    maxNewTokens: settings.maxNewTokens,
    temperature: settings.temperature,
    topK: settings.topK,
    topP: settings.topP,
    seed: settings.seed < 0 ? randomSeed() : settings.seed,
    stop: multiline ? [] : ['\n'],
    heal: settings.tokenHealing,
    lineStop: post,
    ...(settings.beamWidth > 1 ? { beamWidth: settings.beamWidth } : {}),
  };
}

export type { CompletionContext, DocumentSnapshot };
