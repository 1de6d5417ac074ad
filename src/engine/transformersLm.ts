/**
 * The language model for graphs from elsewhere: the transformers.js model's forward, with its
 * `present.*` outputs kept as the next step's `past_key_values.*` (transformers.js tensors) and cut
 * back by slicing the sequence axis. Apart from the owned-cache model (./ownedCacheLm.ts): the two
 * share only the `CausalLm` interface, each calling the runtime its own way with its own cache, and
 * `EngineSession` (./session.ts) picks one per graph. `SessionKv`, the cache type both accept, is
 * defined here, the lower of the two modules, so that they do not import each other.
 */
import type { PreTrainedModel, Tensor } from '@huggingface/transformers';
import type { Transformers } from './backend';
import type { CausalLm } from './generate';
import { OwnedKvCache } from './ownedKvCache';

/** Keys/values of the tokens run so far, as transformers.js tensors keyed by the model's `past_key_values.*` (and other state) input names. */
interface TransformersKvCache {
  /** Tokens the cache covers. */
  length: number;
  /** Input name -> tensor; attention entries are [batch, kv_heads, length, head_dim]. */
  entries: Record<string, Tensor>;
}

/** Maps a graph output name to the input name it feeds next step (as transformers.js does). */
function pastNameOf(outputName: string): string | null {
  if (outputName.startsWith('present.')) return `past_key_values.${outputName.slice('present.'.length)}`;
  if (outputName.startsWith('present_')) return `past_${outputName.slice('present_'.length)}`; // recurrent state (ssm, conv)
  return null;
}

type TypedArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** The first `length` positions along the sequence axis (-2) of a [..., seq, d] tensor's data. */
export function sliceSequence<T extends TypedArray>(data: T, dims: readonly number[], length: number): T {
  const seq = dims[dims.length - 2];
  const inner = dims[dims.length - 1];
  const outer = dims.slice(0, -2).reduce((a, b) => a * b, 1);
  const Ctor = data.constructor as new (n: number) => T;
  const out = new Ctor(outer * length * inner);
  for (let o = 0; o < outer; o++) {
    (out as unknown as { set(a: ArrayLike<unknown>, at: number): void }).set(
      data.subarray(o * seq * inner, o * seq * inner + length * inner) as ArrayLike<unknown>,
      o * length * inner,
    );
  }
  return out;
}

/** The cache of either language model (this one, ./ownedCacheLm.ts); each accepts only its own kind. */
export type SessionKv = TransformersKvCache | OwnedKvCache;

export class TransformersCausalLm implements CausalLm<SessionKv> {
  private readonly inputNames: readonly string[];

  constructor(
    private readonly transformers: Transformers,
    private readonly model: PreTrainedModel,
    readonly contextLength: number,
    readonly eosTokenIds: readonly number[],
  ) {
    const session = (model as unknown as { sessions: Record<string, { inputNames: string[] }> }).sessions.model;
    this.inputNames = session?.inputNames ?? [];
  }

  async forward(ids: readonly number[], pastKv: SessionKv | null): Promise<{ logits: Float32Array; past: TransformersKvCache }> {
    const past = pastKv === null ? null : ownKind(pastKv);
    const { Tensor } = this.transformers;
    const pastLength = past?.length ?? 0;
    const n = ids.length;
    const total = pastLength + n;
    const inputs: Record<string, unknown> = {
      input_ids: new Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
      attention_mask: new Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(pastLength + i)), [1, n]),
      past_key_values: past?.entries ?? null,
    };
    // Graphs that can skip the logits of all but the last position (optimum exports) save a [n, vocab] matmul.
    if (this.inputNames.includes('num_logits_to_keep')) inputs.num_logits_to_keep = new Tensor('int64', [1n], []);
    const out = (await this.model.forward(inputs)) as Record<string, Tensor>;

    const logits = out.logits;
    const vocab = logits.dims[logits.dims.length - 1];
    const rows = logits.data.length / vocab;
    const last = logits.data.subarray((rows - 1) * vocab, rows * vocab) as ArrayLike<number>;
    const row = Float32Array.from(last); // a copy: the caller keeps rows, and the output may hold [n, vocab]

    const entries: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(out)) {
      const pastName = pastNameOf(name);
      if (pastName) entries[pastName] = tensor;
    }
    return { logits: row, past: { length: total, entries } };
  }

  truncate(pastKv: SessionKv, length: number): TransformersKvCache | null {
    const past = ownKind(pastKv);
    if (length === past.length) return past;
    if (length > past.length) return null;
    const { Tensor } = this.transformers;
    const entries: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(past.entries)) {
      // Only attention keys/values have a sequence axis; recurrent state cannot be rewound.
      if (!name.startsWith('past_key_values.')) return null;
      const dims = [...tensor.dims];
      dims[dims.length - 2] = length;
      entries[name] = new Tensor(tensor.type, sliceSequence(tensor.data as TypedArray, tensor.dims, length), dims);
    }
    return { length, entries };
  }
}

function ownKind(past: SessionKv): TransformersKvCache {
  if (past instanceof OwnedKvCache) throw new Error('internal: an OwnedKvCache passed to TransformersCausalLm');
  return past;
}
