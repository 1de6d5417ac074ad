/**
 * The generation loop with a KV cache reused across requests.
 *
 * The generator remembers the token ids whose keys/values it holds (`cachedIds`, the previous
 * prompt plus what was generated after it). A new prompt that shares a token prefix with them
 * keeps the cache for that prefix and runs only the rest: typing one character re-runs one or two
 * tokens, not the whole prompt. The model is called step by step (no `generate()`), so the loop
 * owns the cache, checks for cancellation between every forward call, and stops on EOS, stop
 * strings, the token limit or a full context window.
 */
import type { GenerationOptions, GenerationTimings, StopReason } from './protocol';
import { createTokenSelector } from './sampling';

/** A causal language model seen as "run these tokens after those". `P` is its opaque KV cache. */
export interface CausalLm<P> {
  /** Maximum sequence length (prompt + generated), tokens. */
  readonly contextLength: number;
  readonly eosTokenIds: readonly number[];
  /**
   * Runs `ids` after the `past` tokens (null: an empty cache). Returns the logits of the last
   * position (a fresh `[vocab]` array the caller may edit) and the cache extended by `ids`.
   */
  forward(ids: readonly number[], past: P | null): Promise<{ logits: Float32Array; past: P }>;
  /** The cache cut to its first `length` tokens, or null when it cannot be cut (recurrent state). */
  truncate(past: P, length: number): P | null;
}

export interface TextCodec {
  decode(ids: readonly number[]): string;
  /** Text of each token id (for token healing); absent: no healing. */
  readonly tokenTexts?: readonly string[];
}

export type GenerationOutcome =
  | { status: 'done'; text: string; ids: number[]; stopReason: StopReason; timings: GenerationTimings }
  | { status: 'cancelled' };

export interface GeneratorOptions {
  /** Prompt tokens per forward call while prefilling, so a cancel is seen between chunks. */
  prefillChunk: number;
  now: () => number;
}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Earliest occurrence of any stop string: [index, stop] or null. */
export function findStop(text: string, stops: readonly string[], from = 0): number | null {
  let best: number | null = null;
  for (const stop of stops) {
    if (stop.length === 0) continue;
    const at = text.indexOf(stop, from);
    if (at >= 0 && (best === null || at < best)) best = at;
  }
  return best;
}

/**
 * Prompt ids that fit the window with room for `reserve` new tokens: the newest are kept. The cut
 * moves in steps of a quarter window, so consecutive over-long prompts (typing at the end of a long
 * file) still start at the same token and share their prefix with the cached one.
 */
export function fitPrompt(ids: readonly number[], contextLength: number, reserve: number): number[] {
  const room = Math.max(1, contextLength - Math.min(reserve, Math.floor(contextLength / 2)));
  if (ids.length <= room) return [...ids];
  const step = Math.max(1, Math.floor(room / 4));
  const drop = Math.ceil((ids.length - room) / step) * step;
  return ids.slice(Math.min(drop, ids.length - 1));
}

/** How many prompt tokens before the generated ones are decoded with them, so tokenizers that
 * drop a leading space at the start of a sequence (SentencePiece) still give the right text. */
const DECODE_CONTEXT_TOKENS = 4;

export class PrefixReusingGenerator<P> {
  private cachedIds: number[] = [];
  private past: P | null = null;
  /** Tokens actually run through the model by this generator, over its life (for tests and stats). */
  tokensRun = 0;

  constructor(
    private readonly lm: CausalLm<P>,
    private readonly codec: TextCodec,
    private readonly options: GeneratorOptions = { prefillChunk: 128, now: () => performance.now() },
  ) {}

  /** Token ids whose keys/values the cache holds. */
  get cachedTokenIds(): readonly number[] {
    return this.cachedIds;
  }

  /** Forgets the cache (e.g. after an error left it in an unknown state). */
  reset(): void {
    this.cachedIds = [];
    this.past = null;
  }

  private async run(ids: number[]): Promise<Float32Array> {
    const { logits, past } = await this.lm.forward(ids, this.past);
    this.past = past;
    this.cachedIds.push(...ids);
    this.tokensRun += ids.length;
    return logits;
  }

  /** Keeps the cache for the first `length` tokens; returns how many survived. */
  private keepPrefix(length: number): number {
    if (length === this.cachedIds.length) return length;
    const cut = length > 0 && this.past !== null ? this.lm.truncate(this.past, length) : null;
    if (cut === null) {
      this.reset();
      return 0;
    }
    this.past = cut;
    this.cachedIds.length = length;
    return length;
  }

  async generate(promptIds: readonly number[], options: GenerationOptions, isCancelled: () => boolean): Promise<GenerationOutcome> {
    const { now } = this.options;
    const prompt = fitPrompt(promptIds, this.lm.contextLength, options.maxNewTokens);
    if (prompt.length === 0) throw new Error('the prompt is empty: nothing to complete');
    // Token healing: take the last token back; the first new token must start with its text.
    const texts = this.codec.tokenTexts;
    const healed = options.heal && texts && prompt.length > 1 && texts[prompt[prompt.length - 1]] ? texts[prompt.pop()!] : '';

    // Reuse the common prefix, but always run at least the last prompt token: its logits pick the first new token.
    const reused = this.keepPrefix(Math.min(commonPrefixLength(this.cachedIds, prompt), prompt.length - 1));

    const prefillStart = now();
    let logits: Float32Array | null = null;
    for (let at = reused; at < prompt.length; at += this.options.prefillChunk) {
      if (isCancelled()) return { status: 'cancelled' };
      logits = await this.run(prompt.slice(at, at + this.options.prefillChunk));
    }
    const prefillMs = now() - prefillStart;

    const selectAny = createTokenSelector(options);
    let select = selectAny;
    if (healed) {
      select = (row) => {
        select = selectAny; // only the first token is constrained
        for (let id = 0; id < row.length; id++) if (!texts![id]?.startsWith(healed)) row[id] = -Infinity;
        return selectAny(row);
      };
    }
    const eos = new Set(this.lm.eosTokenIds);
    const context = prompt.slice(-DECODE_CONTEXT_TOKENS);
    const contextText = this.codec.decode(context);
    const generated: number[] = [];
    let text = '';
    let stopReason: StopReason = 'maxTokens';
    const decodeStart = now();
    for (;;) {
      const next = select(logits!);
      if (eos.has(next)) {
        stopReason = 'eos';
        break;
      }
      generated.push(next);
      const full = this.codec.decode([...context, ...generated]);
      text = full.startsWith(contextText) ? full.slice(contextText.length) : this.codec.decode(generated);
      if (healed && text.startsWith(healed)) text = text.slice(healed.length); // the user already typed it
      const stopAt = findStop(text, options.stop);
      if (stopAt !== null) {
        text = text.slice(0, stopAt);
        stopReason = 'stop';
        break;
      }
      if (generated.length >= options.maxNewTokens) break;
      if (this.cachedIds.length + 1 >= this.lm.contextLength) {
        stopReason = 'contextFull';
        break;
      }
      if (isCancelled()) return { status: 'cancelled' };
      logits = await this.run([next]);
    }
    const decodeMs = now() - decodeStart;
    return {
      status: 'done',
      // A byte-level tokenizer can stop in the middle of a UTF-8 character.
      text: stopReason === 'stop' ? text : text.replace(/\uFFFD+$/, ''),
      ids: generated,
      stopReason,
      timings: {
        promptTokens: prompt.length + (healed ? 1 : 0),
        reusedTokens: reused,
        prefillMs,
        decodeMs,
        tokensPerSecond: decodeMs > 0 ? generated.length / (decodeMs / 1000) : 0,
      },
    };
  }
}
