import type { BpeModel } from './bpeModel';
import { byteLevelToBytes, utf8Bytes } from './byteLevel';
import { NumberMinHeap } from './mergeQueue';
import { preTokenize } from './preTokenize';

/** Token ids must fit the uint16 training files; pairs of ids are packed as `a * ID_LIMIT + b`. */
export const ID_LIMIT = 65536;
/** Heap keys pack (rank, position) as `rank * POSITION_LIMIT + position`; both stay below 2^53. */
const POSITION_LIMIT = 2 ** 32;
/** Bounded word cache: cleared when full, so memory stays flat on large corpora. */
const WORD_CACHE_LIMIT = 1 << 20;

export interface DecodeOptions {
  /** Drop special tokens from the output (transformers.js `skip_special_tokens`). */
  skipSpecialTokens?: boolean;
}

/**
 * Byte-level BPE encoder/decoder that gives the same ids as transformers.js for a tokenizer.json written by
 * hfFiles.ts: the same pre-tokenizer regex, UTF-8 bytes via TextEncoder (lone surrogates -> U+FFFD), and the
 * same merge order (lowest rank first, leftmost first among equal ranks).
 */
export class BpeTokenizer {
  readonly model: BpeModel;
  private readonly tokenIds = new Map<string, number>();
  private readonly byteIds = new Int32Array(256);
  /** pair key -> merge rank. */
  private readonly mergeRanks = new Map<number, number>();
  /** merge rank -> id of the merged token. */
  private readonly mergeResults: Int32Array;
  /** id -> bytes for normal tokens; undefined for special tokens. */
  private readonly tokenBytes: Array<Uint8Array | undefined>;
  private readonly specialIds: ReadonlySet<number>;
  private readonly specialPattern: RegExp | undefined;
  private readonly wordCache = new Map<string, readonly number[]>();
  private readonly heap = new NumberMinHeap();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  /** Throws an Error describing the first inconsistency when the model is malformed. */
  constructor(model: BpeModel) {
    this.model = model;
    const { vocab, merges, specialIds } = model;
    if (vocab.length > ID_LIMIT) throw new Error(`vocabulary has ${vocab.length} tokens; at most ${ID_LIMIT} fit uint16 ids`);
    this.specialIds = new Set(specialIds);
    for (const id of specialIds) {
      if (!(id >= 0 && id < vocab.length)) throw new Error(`special token id ${id} is outside the vocabulary`);
    }
    this.tokenBytes = vocab.map((token, id) => {
      if (this.tokenIds.has(token)) throw new Error(`token ${JSON.stringify(token)} appears twice in the vocabulary`);
      this.tokenIds.set(token, id);
      if (this.specialIds.has(id)) return undefined;
      const bytes = byteLevelToBytes(token);
      if (bytes === undefined || bytes.length === 0) {
        throw new Error(`token ${id} ${JSON.stringify(token)} is not a byte-level token and not a special token`);
      }
      return bytes;
    });
    this.byteIds.fill(-1);
    this.tokenBytes.forEach((bytes, id) => {
      if (bytes !== undefined && bytes.length === 1) this.byteIds[bytes[0]] = id;
    });
    const missing = this.byteIds.indexOf(-1);
    if (missing >= 0) throw new Error(`the vocabulary has no token for byte 0x${missing.toString(16)}`);

    this.mergeResults = new Int32Array(merges.length);
    merges.forEach(([a, b], rank) => {
      const left = vocab[a];
      const right = vocab[b];
      const merged = left !== undefined && right !== undefined ? this.tokenIds.get(left + right) : undefined;
      if (merged === undefined || this.specialIds.has(a) || this.specialIds.has(b)) {
        throw new Error(`merge ${rank} (${a}, ${b}) does not combine two vocabulary tokens into a vocabulary token`);
      }
      // HF keeps the first rank when a pair is listed twice.
      const key = a * ID_LIMIT + b;
      if (!this.mergeRanks.has(key)) this.mergeRanks.set(key, rank);
      this.mergeResults[rank] = merged;
    });

    const specials = specialIds.map((id) => vocab[id]).sort((x, y) => y.length - x.length);
    this.specialPattern =
      specials.length > 0 ? new RegExp(specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : undefined;
  }

  get vocabSize(): number {
    return this.model.vocab.length;
  }

  tokenToId(token: string): number | undefined {
    return this.tokenIds.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.model.vocab[id];
  }

  /**
   * Encodes like transformers.js `tokenizer.encode(text, { add_special_tokens: false })`: special-token text
   * (`<|endoftext|>`, `<fim_prefix>`, …) anywhere in the input becomes the special id. Use this for prompts.
   */
  encode(text: string): number[] {
    const out: number[] = [];
    if (this.specialPattern === undefined) {
      this.encodeOrdinaryInto(text, out);
      return out;
    }
    let start = 0;
    for (const match of text.matchAll(this.specialPattern)) {
      if (match.index > start) this.encodeOrdinaryInto(text.slice(start, match.index), out);
      out.push(this.tokenIds.get(match[0]) as number);
      start = match.index + match[0].length;
    }
    if (start < text.length) this.encodeOrdinaryInto(text.slice(start), out);
    return out;
  }

  /**
   * Encodes all of `text` as ordinary text: special-token strings are spelled out with normal tokens and no
   * special id is ever produced. The corpus uses this so raw file contents cannot inject document separators.
   */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeOrdinaryInto(text, out);
    return out;
  }

  /** Appends the ids of `text` (ordinary text, see encodeOrdinary) to `out`. */
  encodeOrdinaryInto(text: string, out: number[]): void {
    for (const word of preTokenize(text)) {
      let ids = this.wordCache.get(word);
      if (ids === undefined) {
        ids = this.encodeWord(utf8Bytes(word));
        if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
        this.wordCache.set(word, ids);
      }
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
    }
  }

  /**
   * Decodes like transformers.js `tokenizer.decode(ids)` with `clean_up_tokenization_spaces: false`: bytes
   * between special tokens are decoded as UTF-8 with U+FFFD for invalid sequences; special tokens appear as
   * their text unless skipped. Throws RangeError for ids outside the vocabulary.
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let text = '';
    let pending = new Uint8Array(256);
    let used = 0;
    const flush = (): void => {
      if (used > 0) text += this.decoder.decode(pending.subarray(0, used));
      used = 0;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < this.tokenBytes.length) || !Number.isInteger(id)) {
        throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.tokenBytes.length})`);
      }
      const bytes = this.tokenBytes[id];
      if (bytes === undefined) {
        flush();
        if (!options.skipSpecialTokens) text += this.model.vocab[id];
        continue;
      }
      if (used + bytes.length > pending.length) {
        const grown = new Uint8Array(Math.max(pending.length * 2, used + bytes.length));
        grown.set(pending.subarray(0, used));
        pending = grown;
      }
      pending.set(bytes, used);
      used += bytes.length;
    }
    flush();
    return text;
  }

  /**
   * BPE on one pre-token: repeatedly merge the adjacent pair with the lowest rank, leftmost first. Nodes form
   * a linked list over byte positions; a merged node keeps the left position, which is the tie-break HF uses.
   */
  private encodeWord(bytes: Uint8Array): number[] {
    const n = bytes.length;
    if (n === 1) return [this.byteIds[bytes[0]]];
    const token = new Int32Array(n); // -1 once merged into the node on its left
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      token[i] = this.byteIds[bytes[i]];
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = this.heap;
    heap.clear();
    const queuePair = (i: number): void => {
      const j = next[i];
      if (j < 0) return;
      const rank = this.mergeRanks.get(token[i] * ID_LIMIT + token[j]);
      if (rank !== undefined) heap.push(rank * POSITION_LIMIT + i);
    };
    for (let i = 0; i < n - 1; i++) queuePair(i);
    while (heap.size > 0) {
      const key = heap.pop() as number;
      const i = key % POSITION_LIMIT;
      const rank = (key - i) / POSITION_LIMIT;
      const j = next[i];
      // Stale entry: the node was merged away or its pair changed since it was queued.
      if (token[i] < 0 || j < 0 || this.mergeRanks.get(token[i] * ID_LIMIT + token[j]) !== rank) continue;
      token[i] = this.mergeResults[rank];
      token[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) queuePair(prev[i]);
      queuePair(i);
    }
    const ids: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) ids.push(token[i]);
    return ids;
  }
}
