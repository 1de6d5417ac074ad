/**
 * Roofline math for a GPT-2 forward pass: the work a prefill or a decode step must do at least
 * (flops, bytes read), and the best time the machine's measured limits allow for it.
 *
 * - Decode (one token, batch 1) is bandwidth-bound: every weight matrix is read once per token
 *   (the LM head reads all of wte), plus the keys/values of the context. Best time = bytes / read GB/s.
 * - Prefill (T tokens) is compute-bound: 2 flops per weight per token in the blocks, the LM head
 *   for the last position only (the graph computes logits for the last position only:
 *   `num_logits_to_keep`), and causal attention. Best time = flops / the compute ceiling of the
 *   dtype: fp32 against the fastest fp32 matmul measured, int8 against ONNX Runtime's int8
 *   MatMulInteger measured in the same run (an int8 graph beating the fp32 ceiling says nothing).
 *
 * Shapes: C = n_embd, L = n_layer, V = vocab_size, S = tokens in the cache (context).
 */

export interface ModelShape {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
}

export type Dtype = 'fp32' | 'int8';

/** Weights of the four linears of all blocks: c_attn 3C², attn.c_proj C², c_fc 4C², mlp.c_proj 4C². */
export function blockMatmulParams(c: ModelShape): number {
  return c.n_layer * 12 * c.n_embd * c.n_embd;
}

/** The tied LM head (= wte): V x C. */
function lmHeadParams(c: ModelShape): number {
  return c.vocab_size * c.n_embd;
}

/** Biases and LayerNorm vectors of all blocks plus ln_f (always float32 in our graphs). */
function vectorParams(c: ModelShape): number {
  const C = c.n_embd;
  return c.n_layer * (3 * C + C + 4 * C + C + 4 * C) + 2 * C;
}

interface DecodeBytes {
  /** Weights read for one token, bytes. */
  weights: number;
  /** Keys and values of `context` tokens read by attention, bytes (float32). */
  kv: number;
  total: number;
}

/**
 * Bytes one decode step must read at least, with `context` tokens in the KV cache. int8 graphs
 * hold every linear weight and the LM head as 1 byte plus one float32 scale per output column.
 */
export function decodeBytesPerToken(c: ModelShape, dtype: Dtype, context: number): DecodeBytes {
  const C = c.n_embd;
  const matrices = blockMatmulParams(c) + lmHeadParams(c);
  const scales = c.n_layer * 9 * C + c.vocab_size; // one per output column
  const weights =
    dtype === 'fp32'
      ? 4 * (matrices + vectorParams(c) + C) // + the wpe row
      : matrices + 4 * (scales + vectorParams(c) + C);
  const kv = 2 * c.n_layer * context * C * 4;
  return { weights, kv, total: weights + kv };
}

/**
 * Bytes one llama.cpp decode step must read at least on a GGUF export (src/model/export/gguf.ts):
 * q8_0 weight matrices at 34 bytes per 32 values (f32: 4 bytes), everything else float32, and the
 * keys/values in llama.cpp's default f16 KV cache.
 */
export function ggufDecodeBytesPerToken(c: ModelShape, type: 'f32' | 'q8_0', context: number): DecodeBytes {
  const C = c.n_embd;
  const matrices = blockMatmulParams(c) + lmHeadParams(c);
  const weights = (type === 'q8_0' ? (matrices * 34) / 32 : 4 * matrices) + 4 * (vectorParams(c) + C);
  const kv = 2 * c.n_layer * context * C * 2;
  return { weights, kv, total: weights + kv };
}

/**
 * Flops a prefill of `tokens` new tokens after `past` cached ones needs at least: the block
 * linears for every token, the LM head for the last position, causal attention (QK^T and PV over
 * the visible keys only).
 */
export function prefillFlops(c: ModelShape, tokens: number, past = 0): number {
  const T = tokens;
  const attention = c.n_layer * 4 * c.n_embd * (T * past + (T * (T + 1)) / 2);
  return 2 * T * blockMatmulParams(c) + 2 * lmHeadParams(c) + attention;
}

/** Tokens/s a decode can reach at most: read bandwidth (bytes/s) over bytes per token. */
export function decodeRooflineTokensPerS(bytesPerToken: number, readBytesPerS: number): number {
  return readBytesPerS / bytesPerToken;
}

/** Tokens/s a prefill of `tokens` tokens can reach at most at `flopsPerS`. */
export function prefillRooflineTokensPerS(c: ModelShape, tokens: number, flopsPerS: number): number {
  return (tokens * flopsPerS) / prefillFlops(c, tokens);
}

/** A measured limit of the machine at a thread count. */
export interface Limit {
  threads: number;
  /** Units per second (bytes/s or flops/s), the best run. */
  value: number;
  source: string;
}

/**
 * The limit that applies to a run with `threads` threads: the best measured with at most that many
 * threads (what one thread reaches, two can too; on a loaded machine a 2-thread run may measure less).
 */
export function limitFor(limits: readonly Limit[], threads: number): Limit | null {
  let best: Limit | null = null;
  for (const l of limits) if (l.threads <= threads && (best === null || l.value > best.value)) best = l;
  return best;
}

/** The machine's measured limits per thread count: fp32 and int8 compute (flops/s), read bandwidth (bytes/s). */
export interface Limits {
  flops: Limit[];
  int8Flops: Limit[];
  readBytes: Limit[];
}

/** The compute ceiling a prefill of this dtype is judged against. */
export function computeLimits(limits: Limits, dtype: Dtype): Limit[] {
  return dtype === 'int8' ? limits.int8Flops : limits.flops;
}

/** achieved / limit, or null when the limit is unknown. */
export function fractionOf(achieved: number, limit: number | null | undefined): number | null {
  if (limit === null || limit === undefined || !(limit > 0)) return null;
  return achieved / limit;
}
