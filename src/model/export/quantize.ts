/**
 * Weight quantization for the int8 model: symmetric, one scale per output column.
 *
 *   W[i, n] ~= scale[n] * (Wq[i, n] - 128),   Wq in [1, 255] (uint8),  scale[n] = max_i |W[i, n]| / 127
 *
 * Stored as uint8 with zero point 128 ("U8U8" in ONNX Runtime terms) rather than int8: with
 * int8 weights (U8S8), x86 CPUs without AVX-VNNI multiply through 16-bit saturating adds
 * (vpmaddubsw), which can overflow; ORT's docs call for 7-bit weights ("reduce_range") there.
 * U8U8 widens to 16 bits first, so it is exact on every CPU and in WebAssembly.
 */

export const WEIGHT_ZERO_POINT = 128;

export interface QuantizedMatrix {
  q: Uint8Array; // [rows, cols]
  scale: Float32Array; // [cols]
}

/** Quantizes W [rows, cols] per column (the output features of a Conv1D weight). */
export function quantizeColumns(W: Float32Array, rows: number, cols: number): QuantizedMatrix {
  const scale = new Float32Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let n = 0; n < cols; n++) scale[n] = Math.max(scale[n], Math.abs(W[i * cols + n]));
  }
  for (let n = 0; n < cols; n++) scale[n] = scale[n] > 0 ? scale[n] / 127 : 1;
  const q = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let n = 0; n < cols; n++) {
      const v = Math.round(W[i * cols + n] / scale[n]);
      q[i * cols + n] = Math.max(-127, Math.min(127, v)) + WEIGHT_ZERO_POINT;
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
