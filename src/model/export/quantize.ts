/**
 * Weight quantization for the int8 model: symmetric, one scale per output column, zero point 0.
 *
 *   W[i, n] ~= scale[n] * Wq[i, n],   Wq in [-L, L] (int8),   scale[n] = max_i |W[i, n]| / L
 *
 * int8 weights with uint8 activations ("U8S8" in ONNX Runtime terms) is the layout ORT's fast x86
 * kernels take: with AVX-VNNI / AVX512-VNNI a 128-token prefill chunk runs ~5x faster than with
 * uint8 weights (bench/experiments/int8Layouts.ts). x86 CPUs without VNNI multiply u8 x s8 pairs
 * through vpmaddubsw, whose 16-bit sum saturates when two adjacent products are near 255 x 127;
 * 7-bit weights (L = 63, ORT's "reduce_range") cannot overflow there: 2 x 255 x 64 < 32768.
 * The embedded model is exported with 7-bit weights, so one file is exact on every CPU and in
 * WebAssembly; bench/experiments/int8Accuracy.ts measures what the lost bit costs.
 */

/** Largest quantized magnitude: 127 for full 8-bit weights, 63 for 7-bit ("reduce_range"). */
export type WeightLevels = 127 | 63;

export const DEFAULT_WEIGHT_LEVELS: WeightLevels = 63;

interface QuantizedMatrix {
  q: Int8Array; // [rows, cols]
  scale: Float32Array; // [cols]
}

/** Quantizes W [rows, cols] per column (the output features of a Conv1D weight). */
export function quantizeColumns(W: Float32Array, rows: number, cols: number, levels: WeightLevels = DEFAULT_WEIGHT_LEVELS): QuantizedMatrix {
  const scale = new Float32Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let n = 0; n < cols; n++) scale[n] = Math.max(scale[n], Math.abs(W[i * cols + n]));
  }
  for (let n = 0; n < cols; n++) scale[n] = scale[n] > 0 ? scale[n] / levels : 1;
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let n = 0; n < cols; n++) {
      const v = Math.round(W[i * cols + n] / scale[n]);
      q[i * cols + n] = Math.max(-levels, Math.min(levels, v));
    }
  }
  return { q, scale };
}

/** W [rows, cols] -> W^T [cols, rows]. */
export function transpose(W: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let n = 0; n < cols; n++) out[n * rows + i] = W[i * cols + n];
  return out;
}
