/**
 * The generation loop with a KV cache reused across requests.
 *
 * The generator remembers the token ids whose keys/values it holds (`cachedIds`, the previous
 * prompt plus what was generated after it). A new prompt that shares a token prefix with them
 * keeps the cache for that prefix and runs only the rest: typing one character re-runs one or two
 * tokens, not the whole prompt. The model is called step by step (no `generate()`), so the loop
 * owns the cache, checks for cancellation between every forward call, and stops on EOS, stop
 * strings, the token limit or a full context window.
 *
 * It also keeps the logits rows the last request sampled from. When the user types what the
 * completion suggested, the new prompt is the old prompt plus tokens the model already produced,
 * and the model's output for those positions is already known: the new request replays the stored
 * rows (through the new request's own sampler, so the result is what a cold request would give)
 * and runs the model only from the first token where it leaves the old path.
 */
import type { GenerationOptions, GenerationTimings, StopReason } from './protocol';
import { lineStopAt } from './lineStop';
import { beamSearch } from './beamSearch';
import type { LogitsMixer } from './cacheMixer';
import { controlTokenIds, suppressControlTokens } from './controlTokens';
import { atFreshLine, endsBeforeText } from './freshLine';
import { createTokenSelector } from './sampling';
import { backOffToBoundary, maskToHealing, remainingAfter } from './tokenBoundary';

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

type GenerationOutcome =
  | {
      status: 'done';
      text: string;
      /** The generated ids (an end-of-text token that stopped generation not included). */
      ids: number[];
      /** The ids the model saw before `ids`: the prompt after fitting the window and taking back a healed token. */
      promptIds: number[];
      /** Text of the token taken back for healing ('' when none): the first generated token starts with it. */
      healed: string;
      stopReason: StopReason;
      timings: GenerationTimings;
    }
  | { status: 'cancelled' };

/**
 * Prompt tokens per forward call while prefilling (the default of GeneratorOptions.prefillChunk): larger
 * chunks run fewer, larger matrix products (embedded model, 440 tokens, 1 thread: 34 ms in chunks of
 * 128, 29 ms in chunks of 256, 28 ms in one run of 512), smaller ones see a cancel sooner (a chunk of
 * 256 is ~15 ms on the embedded model, ~150 ms on a GPT-2-small-sized one).
 */
export const PREFILL_CHUNK_TOKENS = 256;

interface GeneratorOptions {
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
/**
 * Tokens redrawn at most per position at a fresh line (./freshLine.ts): the model's few best are tried,
 * and if they all end the line the suggestion ends as the model wanted.
 */
const MAX_REDRAWS = 8;

/**
 * A prompt that shares at most this many leading tokens with the cache sets the cache aside whole
 * (`spare`) instead of cutting it down to them; running them again costs little.
 */
const SPARE_MAX_SHARED_TOKENS = 32;
/** ... and only a cache that would lose at least this many tokens: fewer are cheap to run again anyway. */
const SPARE_MIN_LOST_TOKENS = 64;

export class PrefixReusingGenerator<P> {
  private cachedIds: number[] = [];
  private past: P | null = null;
  /**
   * The cache of an earlier prompt that a later one left near its start, kept whole. In the editor the
   * prompt's beginning (the text after the cursor, or no such text) changes when the cursor moves to
   * another spot and back, or a request in between is cancelled half-way through its prompt: without
   * this, the request after it would run its whole prompt again. A request continues whichever of the
   * two caches shares more with it. Its buffers are its own: the live cache never writes into them.
   */
  private spare: { ids: number[]; past: P } | null = null;
  /** The last request's prompt + generated tokens, and the raw logits it sampled from. */
  private sequence: number[] = [];
  /** rows[i]: logits at position rowsStart + i of `sequence` (predicting the token after it). */
  private rows: Float32Array[] = [];
  private rowsStart = 0;
  /** The control tokens of this model's vocabulary (controlTokens.ts), found on first use; null: no token texts. */
  private controlIds: Int32Array | null | undefined;
  /** Tokens actually run through the model by this generator, over its life (for tests and stats). */
  tokensRun = 0;

  constructor(
    private readonly lm: CausalLm<P>,
    private readonly codec: TextCodec,
    private readonly options: GeneratorOptions = { prefillChunk: PREFILL_CHUNK_TOKENS, now: () => performance.now() },
  ) {}

  private controlTokens(): Int32Array | null {
    if (this.controlIds === undefined) {
      const texts = this.codec.tokenTexts;
      this.controlIds = texts ? controlTokenIds(texts, this.lm.eosTokenIds) : null;
    }
    return this.controlIds;
  }

  /** Token ids whose keys/values the cache holds. */
  get cachedTokenIds(): readonly number[] {
    return this.cachedIds;
  }

  /** Forgets the cache (e.g. after an error left it in an unknown state). */
  reset(): void {
    this.dropCache();
    this.spare = null;
    this.sequence = [];
    this.rows = [];
  }

  /**
   * Idle-time work after a request: runs its last generated token, which the loop stops before
   * running, and stores that row too, so a prompt that takes the whole suggestion is served from
   * stored rows without a model call. A no-op unless the cache ends right before that token.
   * Returns the tokens run (0 or 1).
   */
  async prefetch(): Promise<number> {
    const n = this.sequence.length;
    if (n < 2 || n >= this.lm.contextLength || this.rowsStart + this.rows.length !== n - 1) return 0;
    if (this.cachedIds.length !== n - 1 || commonPrefixLength(this.cachedIds, this.sequence) !== n - 1) return 0;
    this.rows.push(await this.run([this.sequence[n - 1]]));
    return 1;
  }

  private dropCache(): void {
    this.cachedIds = [];
    this.past = null;
  }

  /** Makes the cache that shares more with `prompt` the live one, or sets the live one aside (see `spare`). */
  private chooseCache(prompt: readonly number[]): void {
    const shared = commonPrefixLength(this.cachedIds, prompt);
    if (this.spare && commonPrefixLength(this.spare.ids, prompt) > shared) {
      const live = this.past === null ? null : { ids: this.cachedIds, past: this.past };
      ({ ids: this.cachedIds, past: this.past } = this.spare);
      this.spare = live;
    } else if (this.past !== null && shared <= SPARE_MAX_SHARED_TOKENS && this.cachedIds.length - shared >= SPARE_MIN_LOST_TOKENS) {
      this.spare = { ids: this.cachedIds, past: this.past };
      this.dropCache();
    }
  }

  /**
   * Token healing across several tokens, for typing along a suggestion: when the prompt's text is
   * the last request's text up to some point, that text in the last request's own tokens (up to
   * the last token boundary in it) plus the rest as the healing prefix, if stored rows continue
   * there. Typed text rarely splits into the tokens the model generated (typing "\n" after a
   * suggested " {\n" token gives " {" + "\n"), so comparing token ids alone would miss it.
   */
  private alignToPrevious(prompt: readonly number[], texts: readonly string[]): { ids: number[]; healed: string } | null {
    const k = commonPrefixLength(this.sequence, prompt);
    if (k === 0) return null;
    const typed = prompt
      .slice(k)
      .map((id) => texts[id] ?? '')
      .join('');
    let j = k;
    let covered = 0;
    for (; j < this.sequence.length; j++) {
      const t = texts[this.sequence[j]];
      if (!t || typed.slice(covered, covered + t.length) !== t) break;
      covered += t.length;
    }
    const healed = typed.slice(covered);
    if (healed && !(texts[this.sequence[j]] ?? '').startsWith(healed)) return null; // the text left the last request's path
    if (j - 1 < this.rowsStart || j - 1 >= this.rowsStart + this.rows.length) return null; // nothing stored to replay from there
    return { ids: this.sequence.slice(0, j), healed };
  }

  /**
   * Stored logits rows that continue `prompt`: rows[0] at its last position, and the tokens the
   * last request took after it. Null when the prompt is not a prefix of that request's tokens or
   * its last position was not computed then.
   */
  private replayFor(prompt: readonly number[]): { rows: Float32Array[]; next: number[] } | null {
    const at = prompt.length - 1 - this.rowsStart;
    if (at < 0 || at >= this.rows.length || prompt.length > this.sequence.length) return null;
    if (commonPrefixLength(this.sequence, prompt) < prompt.length) return null;
    return { rows: this.rows.slice(at), next: this.sequence.slice(prompt.length) };
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
      this.dropCache();
      return 0;
    }
    this.past = cut;
    this.cachedIds.length = length;
    return length;
  }

  /** `mix` edits each row before sampling (the copy model, src/engine/cacheMixer.ts); the stored rows stay raw. */
  async generate(promptIds: readonly number[], options: GenerationOptions, isCancelled: () => boolean, mix?: LogitsMixer | null): Promise<GenerationOutcome> {
    const { now } = this.options;
    let prompt = fitPrompt(promptIds, this.lm.contextLength, options.maxNewTokens);
    if (prompt.length === 0) throw new Error('the prompt is empty: nothing to complete');
    const promptTokens = prompt.length;
    // Token healing: the prompt backs off to a token boundary and the first new tokens spell the
    // text taken back (src/engine/tokenBoundary.ts), or, typing along the last suggestion, aligns
    // to that suggestion's tokens.
    const texts = this.codec.tokenTexts;
    let healed = '';
    if (options.heal && texts) ({ ids: prompt, healed } = this.alignToPrevious(prompt, texts) ?? backOffToBoundary(prompt, texts));

    let replay = this.replayFor(prompt);
    this.sequence = [...prompt];
    this.rows = [];
    this.rowsStart = prompt.length - 1;
    // Replayed steps: rows taken from the last request, no model call (see the file comment).
    let replayed = 0;

    if (!replay) this.chooseCache(prompt);
    // Reuse the common prefix, but always run at least the last prompt token: its logits pick the first new token.
    const reused = replay ? prompt.length : this.keepPrefix(Math.min(commonPrefixLength(this.cachedIds, prompt), prompt.length - 1));

    const prefillStart = now();
    let logits: Float32Array | null = replay ? replay.rows[0] : null;
    for (let at = reused; at < prompt.length; at += this.options.prefillChunk) {
      if (isCancelled()) return { status: 'cancelled' };
      logits = await this.run(prompt.slice(at, at + this.options.prefillChunk));
    }
    const prefillMs = now() - prefillStart;
    if ((options.beamWidth ?? 1) > 1) return this.generateBeams(prompt, logits!, healed, options, isCancelled, { reused, prefillMs }, mix ?? null);

    const selectAny = createTokenSelector(options);
    /** Healed text not generated yet: the tokens drawn while it lasts must spell it. */
    let unhealed = healed;
    /** Tokens drawn to spell the healed text: they do not count against `maxNewTokens`. */
    let healingSteps = 0;
    const selectHealing = (row: Float32Array, position: number): number => {
      // Typing along the suggestion: the token the last request drew here is a draw from this
      // row, and it spells what was typed, so it is a draw from the row restricted to tokens that
      // do (conditioning). Keeping it keeps the rest of the suggestion as it was shown.
      const shown = replay?.next[replayed];
      const t = shown === undefined ? undefined : texts![shown];
      if (t && (t.startsWith(unhealed) || unhealed.startsWith(t))) return shown!;
      maskToHealing(row, unhealed, texts!);
      return selectAny(row, position);
    };
    const eos = new Set(this.lm.eosTokenIds);
    const control = this.controlTokens();
    const freshLine = texts != null && atFreshLine(options.lineStop);
    const context = prompt.slice(-DECODE_CONTEXT_TOKENS);
    const contextText = this.codec.decode(context);
    const generated: number[] = [];
    let text = '';
    let stopReason: StopReason = 'maxTokens';
    let checked = 0; // generated text the line stop has seen
    const decodeStart = now();
    for (;;) {
      this.rows.push(logits!);
      const select = unhealed ? selectHealing : selectAny;
      const row = Float32Array.from(logits!); // the mixer and the selector edit their row; the stored one stays raw
      mix?.(row, this.sequence);
      if (control) suppressControlTokens(row, control);
      let next = select(row, this.sequence.length);
      for (let redraws = 0; freshLine && redraws < MAX_REDRAWS && endsBeforeText(text, unhealed, eos.has(next) ? undefined : (texts?.[next] ?? '')); redraws++) {
        row[next] = -Infinity;
        next = select(row, this.sequence.length);
      }
      if (eos.has(next)) {
        stopReason = 'eos';
        break;
      }
      if (unhealed) {
        unhealed = remainingAfter(unhealed, texts![next]);
        healingSteps++;
      }
      generated.push(next);
      this.sequence.push(next);
      const full = this.codec.decode([...context, ...generated]);
      text = full.startsWith(contextText) ? full.slice(contextText.length) : this.codec.decode(generated);
      // The healed text is already in the document: only what follows it is new (nothing while it is being spelled).
      if (healed) text = unhealed ? '' : text.startsWith(healed) ? text.slice(healed.length) : text;
      const stopAt = findStop(text, options.stop) ?? lineStopAt(text, checked, options.lineStop);
      if (stopAt !== null) {
        text = text.slice(0, stopAt);
        stopReason = 'stop';
        break;
      }
      checked = text.length;
      if (generated.length - healingSteps >= options.maxNewTokens) break;
      if (this.cachedIds.length + 1 >= this.lm.contextLength) {
        stopReason = 'contextFull';
        break;
      }
      if (isCancelled()) return { status: 'cancelled' };
      if (replay) {
        replayed++;
        if (replay.next[replayed - 1] === next && replayed < replay.rows.length) {
          logits = replay.rows[replayed];
          continue;
        }
        // Off the stored path: the cache must end right before `next` (it holds the last request's
        // tokens); a cache that cannot be cut (recurrent state) runs them again.
        const before = prompt.length + replayed - 1;
        const kept = this.keepPrefix(before);
        if (kept < before) await this.run(this.sequence.slice(kept, before));
        replay = null;
      }
      logits = await this.run([next]);
    }
    const decodeMs = now() - decodeStart;
    return {
      status: 'done',
      // A byte-level tokenizer can stop in the middle of a UTF-8 character.
      text: stopReason === 'stop' ? text : text.replace(/\uFFFD+$/, ''),
      ids: generated,
      promptIds: prompt,
      healed,
      stopReason,
      timings: {
        promptTokens,
        reusedTokens: reused,
        prefillMs,
        decodeMs,
        tokensPerSecond: decodeMs > 0 ? generated.length / (decodeMs / 1000) : 0,
      },
    };
  }

  /**
   * `options.beamWidth` sequences searched at once (src/engine/beamSearch.ts) from the prompt's
   * logits `first`, each step's row mixed with the copy model like a single sequence's. Each beam step runs a beam's tokens after the longest prefix the cache shares
   * with it. No logits rows are stored: a later request never replays a beam search.
   */
  private async generateBeams(
    prompt: readonly number[],
    first: Float32Array,
    healed: string,
    options: GenerationOptions,
    isCancelled: () => boolean,
    prefill: { reused: number; prefillMs: number },
    mix: LogitsMixer | null,
  ): Promise<GenerationOutcome> {
    const { now } = this.options;
    const control = this.controlTokens();
    /** The row for the token after `sequence`, with the copy model mixed in (a copy: the model's row stays as it was). */
    const mixed = (row: Float32Array, sequence: readonly number[]) => {
      const out = Float32Array.from(row);
      mix?.(out, sequence);
      if (control) suppressControlTokens(out, control);
      return out;
    };
    const texts = this.codec.tokenTexts;
    const context = prompt.slice(-DECODE_CONTEXT_TOKENS);
    const contextText = this.codec.decode(context);
    const textOf = (ids: readonly number[]) => {
      const full = this.codec.decode([...context, ...ids]);
      const text = full.startsWith(contextText) ? full.slice(contextText.length) : this.codec.decode(ids);
      return healed && text.startsWith(healed) ? text.slice(healed.length) : text;
    };
    const room = this.lm.contextLength - prompt.length;
    const maxNewTokens = Math.max(1, Math.min(options.maxNewTokens, room));
    const decodeStart = now();
    const best = await beamSearch({
      firstRow: mixed(first, prompt),
      width: options.beamWidth!,
      maxNewTokens,
      eos: new Set(this.lm.eosTokenIds),
      constrainFirst: healed
        ? (row) => {
            for (let id = 0; id < row.length; id++) if (!texts![id]?.startsWith(healed)) row[id] = -Infinity;
          }
        : null,
      textOf,
      stopAt: (text) => findStop(text, options.stop),
      step: async (ids) => {
        const sequence = [...prompt, ...ids];
        const kept = this.keepPrefix(Math.min(commonPrefixLength(this.cachedIds, sequence), sequence.length - 1));
        return mixed(await this.run(sequence.slice(kept)), sequence);
      },
      isCancelled,
    });
    if (best === null) return { status: 'cancelled' };
    this.sequence = [...prompt, ...best.ids];
    this.rows = [];
    const decodeMs = now() - decodeStart;
    const stopReason: StopReason = best.stopReason === 'maxTokens' && maxNewTokens < options.maxNewTokens ? 'contextFull' : best.stopReason;
    return {
      status: 'done',
      text: stopReason === 'stop' ? best.text : best.text.replace(/\uFFFD+$/, ''),
      ids: best.ids,
      promptIds: [...prompt],
      healed,
      stopReason,
      timings: {
        promptTokens: prompt.length + (healed ? 1 : 0),
        reusedTokens: prefill.reused,
        prefillMs: prefill.prefillMs,
        decodeMs,
        tokensPerSecond: decodeMs > 0 ? best.ids.length / (decodeMs / 1000) : 0,
      },
    };
  }
}
