/**
 * The inputs of one call of an exported GPT graph (src/model/export/gptGraph.ts), for any ONNX
 * Runtime flavour: onnxruntime-node, onnxruntime-web and transformers.js tensors all construct as
 * `new Tensor(type, data, dims)`, so the caller passes that constructor in.
 */

interface FeedShape {
  n_layer: number;
  n_head: number;
  n_embd: number;
}

type MakeTensor<T> = (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]) => T;

interface FeedOptions<T> {
  /** Tokens already in the cache (positions of `tokens` start here). */
  pastLength?: number;
  /** The previous call's outputs: `present.{i}.key/value` become this call's `past_key_values.{i}.*`. */
  past?: Record<string, T>;
  /** Logits for the last K positions only; 0 (the default) = every position. */
  logitsToKeep?: number;
}

export function gptFeeds<T>(make: MakeTensor<T>, shape: FeedShape, tokens: readonly number[], options: FeedOptions<T> = {}): Record<string, T> {
  const { pastLength = 0, past, logitsToKeep = 0 } = options;
  const T = tokens.length;
  const total = pastLength + T;
  const D = shape.n_embd / shape.n_head;
  const feeds: Record<string, T> = {
    input_ids: make('int64', BigInt64Array.from(tokens, (t) => BigInt(t)), [1, T]),
    attention_mask: make('int64', new BigInt64Array(total).fill(1n), [1, total]),
    position_ids: make('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(pastLength + i)), [1, T]),
    num_logits_to_keep: make('int64', BigInt64Array.of(BigInt(logitsToKeep)), []),
  };
  for (let i = 0; i < shape.n_layer; i++) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kv}`] = past?.[`present.${i}.${kv}`] ?? make('float32', new Float32Array(0), [1, shape.n_head, 0, D]);
    }
  }
  return feeds;
}
