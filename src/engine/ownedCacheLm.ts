/**
 * The language model for graphs exported by this project: ONNX Runtime called directly, fetching only
 * the last position's logits and the new tokens' `new_key_values.*`, with the KV cache in our own
 * buffers (./ownedKvCache.ts). Apart from the transformers.js model (./transformersLm.ts) because it
 * talks to the ORT session itself and must first decide whether a graph supports it
 * (`ownedCacheSupport`); `EngineSession` (./session.ts) makes that choice when it opens a folder.
 */
import type { Transformers } from './backend';
import type { CausalLm } from './generate';
import { OwnedKvCache, type KvShape } from './ownedKvCache';
import type { SessionKv } from './transformersLm';

/** The ONNX Runtime session transformers.js created, as much of it as we call. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[];
  readonly outputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[];
  run(feeds: Record<string, unknown>, fetches: readonly string[]): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release?(): Promise<void>;
}

const NEW_KV = /^new_key_values\.(\d+)\.(key|value)$/;
const PAST_KV = /^past_key_values\.(\d+)\.(key|value)$/;
const OWNED_CACHE_INPUTS = ['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep'];

/**
 * The completion graph's ORT session and cache shape when it can run with an owned cache: it
 * outputs `new_key_values.{i}.key/value` for every `past_key_values.{i}.*` input (our exports) and
 * takes the standard inputs, position_ids included (the cache's empty slots are masked, so positions
 * cannot be counted from the mask), and no others; null for any other graph.
 */
export function ownedCacheSupport(session: OrtSession, contextLength: number): { shape: KvShape; entryNames: string[] } | null {
  const pastNames = session.inputNames.filter((n) => PAST_KV.test(n));
  if (pastNames.length === 0 || session.inputNames.some((n) => !PAST_KV.test(n) && !OWNED_CACHE_INPUTS.includes(n))) return null;
  if (!OWNED_CACHE_INPUTS.every((n) => session.inputNames.includes(n))) return null;
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

  constructor(
    private readonly transformers: Transformers,
    /** The completion graph without `present.*` outputs (src/model/decodeGraph.ts), or as shipped. */
    private readonly session: OrtSession,
    private readonly shape: KvShape,
    /** `{i}.key` / `{i}.value`, in cache entry order. */
    private readonly entryNames: readonly string[],
    readonly contextLength: number,
    readonly eosTokenIds: readonly number[],
  ) {
    this.fetches = ['logits', ...entryNames.map((n) => `new_key_values.${n}`)];
  }

  private tensor(type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]): unknown {
    return new this.transformers.Tensor(type, data, dims).ort_tensor;
  }

  async forward(ids: readonly number[], pastKv: SessionKv | null): Promise<{ logits: Float32Array; past: OwnedKvCache }> {
    const past = pastKv === null ? OwnedKvCache.empty(this.shape) : ownedKind(pastKv);
    const n = ids.length;
    const total = past.length + n;
    if (total > this.contextLength) throw new Error(`${total} tokens exceed the model's context of ${this.contextLength}`);
    // The past is fed whole, every slot of its buffers, with the empty slots masked (see OwnedKvCache);
    // position_ids carry the tokens' real positions.
    const slots = past.capacity;
    const feeds: Record<string, unknown> = {
      input_ids: this.tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
      attention_mask: this.tensor('int64', past.attentionMask(n), [1, slots + n]),
      position_ids: this.tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(past.length + i)), [1, n]),
      num_logits_to_keep: this.tensor('int64', BigInt64Array.of(1n), []),
    };
    const { heads, headDim } = this.shape;
    this.entryNames.forEach((name, e) => {
      feeds[`past_key_values.${name}`] = this.tensor('float32', past.entry(e), [1, heads, slots, headDim]);
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
