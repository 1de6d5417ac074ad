/**
 * A KV cache kept in our own buffers instead of the runtime's `present.*` outputs.
 *
 * The standard decoder interface returns the whole cache (`present`, past + new) from every call: the
 * graph concatenates it and ONNX Runtime copies each output into a fresh JS buffer, a copy of the whole
 * cache per layer and step that grows with the context. Graphs exported by this project also output
 * the new tokens' keys/values (`new_key_values.*`), and the engine runs them without `present.*`
 * (src/model/decodeGraph.ts), so it fetches only those and writes them here, in place.
 *
 * Each entry (one per layer and key/value) is one buffer of fixed capacity, [heads, capacity, headDim],
 * fed whole as the graph's `past_key_values` input (ONNX Runtime node wraps JS memory as is, no copy)
 * with `attentionMask` 0 over the slots that hold no token. Appending writes only the new tokens;
 * cutting to a prefix (typing after a deletion) writes nothing. The slots past `length` keep stale
 * or zero values, always finite: a masked key's probability is exactly 0, and 0 x a finite value is 0.
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
    /** Tokens held: slots 0 .. length-1 of every head. */
    readonly length: number,
    private readonly buffers: Float32Array[],
  ) {}

  static empty(shape: KvShape): OwnedKvCache {
    for (const [k, v] of Object.entries(shape)) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`OwnedKvCache: ${k} must be a positive integer, got ${v}`);
    }
    return new OwnedKvCache(shape, 0, []);
  }

  /** Token slots per head in the buffers (the `past_sequence_length` the graph is fed). */
  get capacity(): number {
    return this.buffers.length === 0 ? 0 : this.buffers[0].length / (this.shape.heads * this.shape.headDim);
  }

  /** Entry `index` as [heads, capacity, headDim]: a view of the cache, valid until the cache is consumed. */
  entry(index: number): Float32Array {
    this.checkUsable();
    return this.buffers[index] ?? new Float32Array(0);
  }

  /** The graph's attention_mask for a run of `count` new tokens after this cache: the held slots, the empty ones (0), the new tokens. */
  attentionMask(count: number): BigInt64Array {
    this.checkUsable();
    const mask = new BigInt64Array(this.capacity + count).fill(1n);
    mask.fill(0n, this.length, this.capacity);
    return mask;
  }

  /**
   * The cache extended by `fresh[i]` ([heads, count, headDim] for entry i). This cache is consumed:
   * the new one writes into its buffers, so it must not be used again.
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
    const buffers = length > this.capacity ? this.grown(length) : this.buffers;
    const capacity = buffers[0].length / (heads * headDim);
    const added = count * headDim;
    for (let e = 0; e < entries; e++) {
      for (let h = 0; h < heads; h++) buffers[e].set(fresh[e].subarray(h * added, h * added + added), (h * capacity + this.length) * headDim);
    }
    return this.consumeTo(buffers, length);
  }

  /** The cache cut to its first `length` tokens (this cache is consumed unless `length` is its own). */
  truncate(length: number): OwnedKvCache {
    this.checkUsable();
    if (!Number.isInteger(length) || length < 0 || length > this.length) throw new Error(`OwnedKvCache: cannot cut ${this.length} tokens to ${length}`);
    if (length === this.length) return this;
    return this.consumeTo(this.buffers, length);
  }

  /**
   * New buffers with room for `length` tokens and DECODE_HEADROOM more (or double, whichever is more,
   * up to the context), holding this cache's tokens. Allocated in the prefill call that needs the room,
   * so the completion's decode steps after it never grow (a fresh buffer's page faults cost GPT-2 small's
   * first decode steps 35-60 ms instead of 12 when they fell there).
   */
  private grown(length: number): Float32Array[] {
    const { entries, heads, headDim, maxLength } = this.shape;
    const old = this.capacity;
    const capacity = Math.min(maxLength, Math.max(length + DECODE_HEADROOM, INITIAL_CAPACITY, 2 * old));
    const held = this.length * headDim;
    return Array.from({ length: entries }, (_, e) => {
      // fill(0) touches every page now, not at the first decode step that writes there.
      const buffer = new Float32Array(heads * capacity * headDim).fill(0);
      for (let h = 0; h < heads && held > 0; h++) buffer.set(this.buffers[e].subarray(h * old * headDim, h * old * headDim + held), h * capacity * headDim);
      return buffer;
    });
  }

  private consumeTo(buffers: Float32Array[], length: number): OwnedKvCache {
    this.consumed = true;
    return new OwnedKvCache(this.shape, length, buffers);
  }

  private checkUsable(): void {
    if (this.consumed) throw new Error('OwnedKvCache: this cache was extended or cut already; use the cache that returned');
  }
}
