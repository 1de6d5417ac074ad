/**
 * A deterministic stand-in for a causal LM: the next token depends on every token before it (a
 * rolling hash), so a wrong or stale KV cache changes the output. Counts every token it runs.
 * Vocabulary: 0 = EOS, 1 = "\n", 2..27 = "a".."z".
 */
import type { CausalLm, TextCodec } from '../../../src/engine/generate';

export interface FakePast {
  ids: number[];
}

export const VOCAB = 28;

function hashNext(ids: readonly number[], eosAfter = Infinity): number {
  if (ids.length >= eosAfter) return 0;
  let h = 17;
  for (const id of ids) h = (h * 31 + id) % 1000003;
  return h % 9 === 0 ? 1 : 2 + (h % 26);
}

export class FakeLm implements CausalLm<FakePast> {
  readonly eosTokenIds = [0];
  /** Token ids of every forward call, in order. */
  readonly calls: number[][] = [];
  constructor(
    readonly contextLength = 512,
    /** spread: every token gets a logit (several plausible ones), so sampling depends on the seed. */
    private readonly opts: { recurrent?: boolean; eosAfter?: number; spread?: boolean } = {},
  ) {}
  get tokensRun(): number {
    return this.calls.reduce((s, c) => s + c.length, 0);
  }
  async forward(ids: readonly number[], past: FakePast | null) {
    this.calls.push([...ids]);
    const all = [...(past?.ids ?? []), ...ids];
    if (all.length > this.contextLength) throw new Error('context overflow');
    const logits = new Float32Array(VOCAB).fill(-5);
    if (this.opts.spread) for (let i = 1; i < VOCAB; i++) logits[i] = ((hashNext(all) * 7 + i * 13) % 11) / 4;
    logits[hashNext(all, this.opts.eosAfter)] = this.opts.spread ? 2.6 : 5;
    return { logits, past: { ids: all } };
  }
  truncate(past: FakePast, length: number): FakePast | null {
    if (this.opts.recurrent && length !== past.ids.length) return null;
    return { ids: past.ids.slice(0, length) };
  }
}

const charOf = (i: number) => (i === 0 ? '' : i === 1 ? '\n' : String.fromCharCode(95 + i));

export const fakeCodec: TextCodec = {
  decode: (ids) => ids.map(charOf).join(''),
  tokenTexts: Array.from({ length: VOCAB }, (_, i) => charOf(i)),
};

export function encodeFake(text: string): number[] {
  return [...text].map((c) => (c === '\n' ? 1 : c.charCodeAt(0) - 95));
}

/**
 * A tokenizer with one merged token the encoder never produces: id MERGED_AB spells "ab". An LM
 * made with `mergedAb` emits it where it would emit "a", so typed text ("a" + "b") and the
 * model's own tokens ("ab") spell the same text in different tokens, as BPE does at a boundary.
 */
export const MERGED_AB = VOCAB;
export const mergedCodec: TextCodec = {
  decode: (ids) => ids.map((i) => (i === MERGED_AB ? 'ab' : charOf(i))).join(''),
  tokenTexts: [...Array.from({ length: VOCAB }, (_, i) => charOf(i)), 'ab'],
};
export function mergedAb(lm: FakeLm): FakeLm {
  const forward = lm.forward.bind(lm);
  lm.forward = async (ids, past) => {
    const out = await forward(ids, past);
    const logits = new Float32Array(VOCAB + 1).fill(-5);
    logits.set(out.logits);
    if (logits[2] > 0) [logits[2], logits[MERGED_AB]] = [-5, logits[2]];
    return { logits, past: out.past };
  };
  return lm;
}

/** What greedy decoding must produce, computed without any cache. */
export function referenceGreedy(prompt: readonly number[], maxNewTokens: number, eosAfter = Infinity): number[] {
  const all = [...prompt];
  const out: number[] = [];
  while (out.length < maxNewTokens) {
    const next = hashNext(all, eosAfter);
    if (next === 0) break;
    out.push(next);
    all.push(next);
  }
  return out;
}

/**
 * A model whose next-token logits depend only on the tokens so far: `score(all, logits)` sets the
 * ones that matter in a row of `vocab` logits, all others -5. Its cache is the token list, so
 * cutting it is slicing it. End-of-text is token 0.
 */
export function tableLm(vocab: number, score: (all: readonly number[], logits: Float32Array) => void, contextLength = 64): CausalLm<number[]> {
  return {
    contextLength,
    eosTokenIds: [0],
    truncate: (p, n) => p.slice(0, n),
    forward: async (ids, past) => {
      const all = [...(past ?? []), ...ids];
      const logits = new Float32Array(vocab).fill(-5);
      score(all, logits);
      return { logits, past: all };
    },
  };
}

/** A codec whose token i is `texts[i]`. */
export function textsCodec(texts: readonly string[]): TextCodec {
  return { decode: (ids) => ids.map((i) => texts[i]).join(''), tokenTexts: texts };
}
