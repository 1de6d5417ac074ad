/**
 * Turning per-head attention probabilities into the numbers the panel shows.
 *
 * - Mean of heads: the plain average over the H heads of one layer. Each head's row sums to 1, so the
 *   mean does too.
 * - Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers", section 3):
 *   a token's representation after layer l is its residual stream plus what attention mixed in, so each
 *   layer's mixing matrix is modelled as half identity, half attention:
 *       Ã_l = 0.5 · I + 0.5 · mean_h(A_l)                      [T, T], rows still sum to 1
 *   and the flow from the input tokens to the top layer is the product of those matrices:
 *       R = Ã_{L-1} · … · Ã_1 · Ã_0
 *   Row q of R says how much of each input token reaches position q's final hidden state (the one that
 *   predicts token q+1), following every path through the layers. We compute one row at a time as a row
 *   vector pushed down the layers, v ← v · Ã_l for l = L-1 … 0, starting from v = e_q: O(L·T²) per row
 *   instead of the O(L·T³) matrix product, and only positions ≤ q are ever non-zero (causal mask).
 *   Rollout needs every row of every layer's matrix, so it is computed in the worker where the full
 *   [H, T, T] outputs exist, and only the asked-for rows are sent on.
 * - Entropy of a head's row, normalised by ln(number of visible keys): 0 = all weight on one token,
 *   1 = spread evenly. The layer × head grid colours heads by it.
 */
import type { AttentionSnapshot, AttentionView } from './types';

/** Share of the identity (residual stream) in each layer's mixing matrix; Abnar & Zuidema use 0.5. */
const ROLLOUT_RESIDUAL = 0.5;

/** Mean over heads of one layer: probs [H, R, T] -> [R, T]. */
export function meanOverHeads(probs: ArrayLike<number>, H: number, R: number, T: number): Float32Array {
  if (probs.length !== H * R * T) throw new Error(`meanOverHeads: expected ${H}×${R}×${T} = ${H * R * T} values, got ${probs.length}`);
  const out = new Float32Array(R * T);
  const acc = new Float64Array(R * T);
  for (let h = 0; h < H; h++) {
    const base = h * R * T;
    for (let i = 0; i < R * T; i++) acc[i] += probs[base + i];
  }
  for (let i = 0; i < R * T; i++) out[i] = acc[i] / H;
  return out;
}

/**
 * Rollout rows from full per-layer matrices.
 * `layers[l]` is layer l's attention averaged over heads, [T, T] row-major (row = query, column = key).
 * Returns [rows.length, T]: row r = e_{rows[r]} · Ã_{L-1} · … · Ã_0 with Ã_l = residual·I + (1-residual)·A_l.
 */
export function rolloutRows(layers: readonly ArrayLike<number>[], T: number, rows: readonly number[], residual = ROLLOUT_RESIDUAL): Float32Array {
  for (const [l, A] of layers.entries()) {
    if (A.length !== T * T) throw new Error(`rolloutRows: layer ${l} has ${A.length} values, expected ${T}×${T}`);
  }
  const out = new Float32Array(rows.length * T);
  let v = new Float64Array(T);
  let next = new Float64Array(T);
  for (const [r, q] of rows.entries()) {
    if (!Number.isInteger(q) || q < 0 || q >= T) throw new Error(`rolloutRows: row ${q} is outside 0..${T - 1}`);
    v.fill(0);
    v[q] = 1;
    for (let l = layers.length - 1; l >= 0; l--) {
      const A = layers[l];
      next.fill(0);
      // next = v · Ã_l = residual · v + (1 - residual) · v · A_l; v is zero beyond q and A is causal.
      for (let i = 0; i <= q; i++) {
        const vi = v[i];
        if (vi === 0) continue;
        next[i] += residual * vi;
        const w = (1 - residual) * vi;
        const row = i * T;
        for (let k = 0; k <= i; k++) next[k] += w * A[row + k];
      }
      [v, next] = [next, v];
    }
    for (let k = 0; k < T; k++) out[r * T + k] = v[k];
  }
  return out;
}

/** Rollout as a full matrix product (for tests and tiny inputs): Ã_{L-1} · … · Ã_0, [T, T]. */
export function rolloutMatrix(layers: readonly ArrayLike<number>[], T: number, residual = ROLLOUT_RESIDUAL): Float64Array {
  let R = identity(T);
  for (const A of layers) {
    const mixed = new Float64Array(T * T);
    for (let i = 0; i < T * T; i++) mixed[i] = (1 - residual) * A[i];
    for (let i = 0; i < T; i++) mixed[i * T + i] += residual;
    R = matmul(mixed, R, T); // later layers multiply on the left
  }
  return R;
}

function identity(T: number): Float64Array {
  const I = new Float64Array(T * T);
  for (let i = 0; i < T; i++) I[i * T + i] = 1;
  return I;
}

function matmul(a: Float64Array, b: Float64Array, T: number): Float64Array {
  const out = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    for (let k = 0; k < T; k++) {
      const aik = a[i * T + k];
      if (aik === 0) continue;
      for (let j = 0; j < T; j++) out[i * T + j] += aik * b[k * T + j];
    }
  }
  return out;
}

/** Index of query position `query` in `rows` (strictly ascending), or -1. */
export function rowIndex(rows: readonly number[], query: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid] === query) return mid;
    if (rows[mid] < query) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

type Numbers = Pick<AttentionSnapshot, 'nLayer' | 'nHead' | 'rows' | 'probs' | 'rollout' | 'tokens'>;

/** One head's row for `query` in `layer` (a view into the snapshot), or null when that row was not sent. */
export function headRow(s: Numbers, layer: number, head: number, query: number): Float32Array | null {
  const r = rowIndex(s.rows, query);
  if (r < 0 || layer < 0 || layer >= s.nLayer || head < 0 || head >= s.nHead) return null;
  const T = s.tokens.length;
  const R = s.rows.length;
  const at = ((layer * s.nHead + head) * R + r) * T;
  return s.probs.subarray(at, at + T);
}

/** The weights over key tokens [T] for the selected query, layer and view, or null when the row is missing. */
export function weightsFor(s: Numbers, view: AttentionView, layer: number, query: number): Float32Array | null {
  const T = s.tokens.length;
  const r = rowIndex(s.rows, query);
  if (r < 0) return null;
  if (view.kind === 'rollout') return s.rollout.subarray(r * T, (r + 1) * T);
  if (view.kind === 'head') return headRow(s, layer, view.head, query);
  if (layer < 0 || layer >= s.nLayer) return null;
  const out = new Float32Array(T);
  for (let h = 0; h < s.nHead; h++) {
    const row = headRow(s, layer, h, query)!;
    for (let k = 0; k < T; k++) out[k] += row[k] / s.nHead;
  }
  return out;
}

/**
 * Entropy of a distribution over the first `visible` entries, divided by ln(visible): in [0, 1].
 * 0 for a single visible key (nothing to choose from).
 */
export function normalisedEntropy(row: ArrayLike<number>, visible: number): number {
  if (visible <= 1) return 0;
  let h = 0;
  for (let k = 0; k < visible; k++) {
    const p = row[k];
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.min(1, Math.max(0, h / Math.log(visible)));
}

/** Normalised entropy of every head's row for `query`: [L * H] (layer-major), or null when the row is missing. */
export function headEntropies(s: Numbers, query: number): Float32Array | null {
  if (rowIndex(s.rows, query) < 0) return null;
  const out = new Float32Array(s.nLayer * s.nHead);
  for (let l = 0; l < s.nLayer; l++) {
    for (let h = 0; h < s.nHead; h++) out[l * s.nHead + h] = normalisedEntropy(headRow(s, l, h, query)!, query + 1);
  }
  return out;
}
