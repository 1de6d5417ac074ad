/**
 * A KV cache kept in our own buffers instead of the runtime's `present.*` outputs.
 *
 * The standard decoder interface returns the whole cache (`present`, past + new) from every call,
 * and ONNX Runtime copies each output into a fresh JS buffer: on GPT-2 small at 256 tokens that is
 * 19 MB allocated, zero-filled and copied per decode step, more than half the step
 * (BENCHMARKS.md). Graphs exported by this project also output the new tokens' keys/values
 * (`new_key_values.*`), so the engine fetches only those and appends them here, into buffers it
 * reuses: two sets per cache (double buffering), grown geometrically up to the context length.
 *
 * Each entry (one per layer and key/value) is laid out as the graph's `past_key_values` input wants
 * it, [heads, length, headDim] contiguous from the start of its buffer, so a subarray view is the
 * input tensor's data with no copy (ONNX Runtime node wraps JS memory as is).
 */

export interface KvShape {
  /** Cache entries: 2 per layer (key, value). */
  entries: number;
  heads: number;
  headDim: number;
  /** Longest sequence the cache ever holds (the context window). */
  maxLength: number;
}

/** Tokens of room the first buffers get, so short prompts do not allocate the whole window. */
const INITIAL_CAPACITY = 64;
/** Room kept past a prefill when the buffers grow: a completion's new tokens (localGpt.maxNewTokens is 48 by default). */
const DECODE_HEADROOM = 64;

export class OwnedKvCache {
  private consumed = false;

  private constructor(
    readonly shape: KvShape,
    /** Tokens held. */
    readonly length: number,
    private readonly buffers: Float32Array[],
    /** The other buffer set: written by the next append or truncate, then swapped in. */
    private readonly spare: Float32Array[],
  ) {}

  static empty(shape: KvShape): OwnedKvCache {
    for (const [k, v] of Object.entries(shape)) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`OwnedKvCache: ${k} must be a positive integer, got ${v}`);
    }
    return new OwnedKvCache(shape, 0, [], []);
  }

  /** Tokens the current buffers have room for. */
  get capacity(): number {
    return capacityOf(this.buffers, this.shape);
  }

  /** Entry `index` as [heads, length, headDim]: a view into the cache, valid until the cache is consumed. */
  entry(index: number): Float32Array {
    this.checkUsable();
    const { heads, headDim } = this.shape;
    if (this.length === 0) return new Float32Array(0);
    return this.buffers[index].subarray(0, heads * this.length * headDim);
  }

  /**
   * The cache extended by `fresh[i]` ([heads, count, headDim] for entry i). This cache is consumed:
   * its buffers become the new cache's spare set, so it must not be used again.
   */
  append(fresh: readonly Float32Array[], count: number): OwnedKvCache {
    this.checkUsable();
    const { entries, heads, headDim, maxLength } = this.shape;
    if (fresh.length !== entries) throw new Error(`OwnedKvCache: ${fresh.length} new entries for a cache of ${entries}`);
    const length = this.length + count;
    if (length > maxLength) throw new Error(`OwnedKvCache: ${length} tokens exceed the context of ${maxLength}`);
    for (const f of fresh) {
      if (f.length !== heads * count * headDim) throw new Error(`OwnedKvCache: a new entry has ${f.length} values, ${heads} heads x ${count} tokens x ${headDim} need ${heads * count * headDim}`);
    }
    const next = this.nextSets(length);
    const target = next.buffers;
    const old = this.length * headDim;
    const added = count * headDim;
    for (let e = 0; e < entries; e++) {
      const src = this.buffers[e];
      const dst = target[e];
      const add = fresh[e];
      for (let h = 0; h < heads; h++) {
        const at = h * length * headDim;
        if (old > 0) dst.set(src.subarray(h * old, h * old + old), at);
        dst.set(add.subarray(h * added, h * added + added), at + old);
      }
    }
    return this.consumeTo(next, length);
  }

  /** The cache cut to its first `length` tokens (this cache is consumed unless `length` is its own). */
  truncate(length: number): OwnedKvCache {
    this.checkUsable();
    if (!Number.isInteger(length) || length < 0 || length > this.length) throw new Error(`OwnedKvCache: cannot cut ${this.length} tokens to ${length}`);
    if (length === this.length) return this;
    const { entries, heads, headDim } = this.shape;
    const next = this.nextSets(length);
    const target = next.buffers;
    const keep = length * headDim;
    const old = this.length * headDim;
    for (let e = 0; e < entries; e++) {
      for (let h = 0; h < heads; h++) target[e].set(this.buffers[e].subarray(h * old, h * old + keep), h * keep);
    }
    return this.consumeTo(next, length);
  }

  /**
   * The buffer sets of the next cache: `buffers` to write its `length` tokens into (the spare set when it
   * has room) and `spare`, the set after that (this cache's buffers). When the spare set is too small, both are
   * replaced at once, with room for DECODE_HEADROOM tokens more (or double, whichever is more, up to the
   * context): fresh memory costs page faults, and so they all happen in the prefill call that needs the
   * room, not in the first decode steps of the completion after it (GPT-2 small at 256 tokens: the first
   * two steps took 35-60 ms instead of 12).
   */
  private nextSets(length: number): { buffers: Float32Array[]; spare: Float32Array[] } {
    const { entries, heads, headDim, maxLength } = this.shape;
    if (capacityOf(this.spare, this.shape) >= length) return { buffers: this.spare, spare: this.buffers };
    const capacity = Math.min(maxLength, Math.max(length + DECODE_HEADROOM, INITIAL_CAPACITY, 2 * this.capacity));
    // fill(0) touches every page now: a fresh buffer's pages fault in at their first write otherwise, which
    // for the spare set is the first decode step (GPT-2 small: 60 ms instead of 12).
    const allocate = () => Array.from({ length: entries }, () => new Float32Array(heads * capacity * headDim).fill(0));
    return { buffers: allocate(), spare: allocate() };
  }

  private consumeTo(next: { buffers: Float32Array[]; spare: Float32Array[] }, length: number): OwnedKvCache {
    this.consumed = true;
    return new OwnedKvCache(this.shape, length, next.buffers, next.spare);
  }

  private checkUsable(): void {
    if (this.consumed) throw new Error('OwnedKvCache: this cache was extended or cut already; use the cache that returned');
  }
}

function capacityOf(buffers: readonly Float32Array[], shape: KvShape): number {
  return buffers.length === 0 ? 0 : buffers[0].length / (shape.heads * shape.headDim);
}
