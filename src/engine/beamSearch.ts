/**
 * Beam search for a completion: keeps the `width` most likely token sequences (sum of log
 * probabilities) at every step, and returns the finished one with the best mean log probability per
 * token (a sum alone would favour stopping early). A sequence finishes at EOS, at a stop string, or
 * at the token limit; the search ends when `width` sequences have finished or none is left to extend
 * (as transformers' `early_stopping`). Deterministic: ties go to the earlier beam, then the lower id.
 *
 * The model is behind `step`: the logits after the prompt plus a beam's tokens. The generator runs it
 * on its KV cache, keeping the prefix a beam shares with the last one run, so beams sorted by their
 * tokens cost little more than their new tokens.
 */
import type { StopReason } from './protocol';

interface BeamSearchInput {
  /** Logits after the prompt (edited in place for the first token's constraint). */
  firstRow: Float32Array;
  width: number;
  maxNewTokens: number;
  eos: ReadonlySet<number>;
  /** Removes tokens the first one may not be (token healing); null: none. */
  constrainFirst: ((row: Float32Array) => void) | null;
  /** Text of generated ids, as the caller shows it. */
  textOf: (ids: readonly number[]) => string;
  /** Index of the first stop string in `text`, or null. */
  stopAt: (text: string) => number | null;
  /** Logits after the prompt plus `ids`. */
  step: (ids: readonly number[]) => Promise<Float32Array>;
  isCancelled: () => boolean;
}

interface BeamResult {
  ids: number[];
  text: string;
  stopReason: StopReason;
  /** Sum of the log probabilities of its tokens (the stopping EOS included). */
  logProb: number;
}

interface Beam {
  ids: number[];
  logProb: number;
  row: Float32Array;
}

/** log softmax of `row` (a fresh array). */
export function logSoftmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  const logZ = max + Math.log(sum);
  return Float64Array.from(row, (x) => x - logZ);
}

/** Ids of the `k` largest values, largest first; ties to the lower id. */
export function topIds(values: Float64Array, k: number): number[] {
  const out: number[] = [];
  for (let id = 0; id < values.length; id++) {
    if (values[id] === -Infinity) continue;
    let i = out.length;
    while (i > 0 && values[out[i - 1]] < values[id]) i--;
    if (i < k) {
      out.splice(i, 0, id);
      if (out.length > k) out.pop();
    }
  }
  return out;
}

const meanLogProb = (r: BeamResult) => r.logProb / Math.max(1, r.ids.length + (r.stopReason === 'eos' ? 1 : 0));

/** Null when cancelled. */
export async function beamSearch(input: BeamSearchInput): Promise<BeamResult | null> {
  const { width, maxNewTokens, eos } = input;
  if (!Number.isInteger(width) || width < 1) throw new Error(`beam width must be a positive integer, got ${width}`);
  let beams: Beam[] = [{ ids: [], logProb: 0, row: input.firstRow }];
  const finished: BeamResult[] = [];
  while (beams.length > 0 && finished.length < width) {
    const candidates: { parent: number; id: number; logProb: number }[] = [];
    for (const [b, beam] of beams.entries()) {
      if (beam.ids.length === 0 && input.constrainFirst) input.constrainFirst(beam.row);
      const lp = logSoftmax(beam.row);
      for (const id of topIds(lp, width)) candidates.push({ parent: b, id, logProb: beam.logProb + lp[id] });
    }
    candidates.sort((x, y) => y.logProb - x.logProb || x.parent - y.parent || x.id - y.id);
    const next: Omit<Beam, 'row'>[] = [];
    for (const c of candidates) {
      if (next.length >= width || finished.length >= width) break;
      const parent = beams[c.parent];
      if (eos.has(c.id)) {
        finished.push({ ids: parent.ids, text: input.textOf(parent.ids), stopReason: 'eos', logProb: c.logProb });
        continue;
      }
      const ids = [...parent.ids, c.id];
      const text = input.textOf(ids);
      const stop = input.stopAt(text);
      if (stop !== null) finished.push({ ids, text: text.slice(0, stop), stopReason: 'stop', logProb: c.logProb });
      else if (ids.length >= maxNewTokens) finished.push({ ids, text, stopReason: 'maxTokens', logProb: c.logProb });
      else next.push({ ids, logProb: c.logProb });
    }
    if (finished.length >= width || next.length === 0) break;
    if (input.isCancelled()) return null;
    // In token order, so consecutive beams share the longest prefix of the cache.
    next.sort((x, y) => compareIds(x.ids, y.ids));
    const stepped: Beam[] = [];
    for (const n of next) {
      stepped.push({ ...n, row: await input.step(n.ids) });
      if (input.isCancelled()) return null;
    }
    beams = stepped.sort((x, y) => y.logProb - x.logProb || compareIds(x.ids, y.ids));
  }
  if (finished.length === 0) throw new Error('beam search finished no sequence');
  return finished.reduce((best, r) => (meanLogProb(r) > meanLogProb(best) ? r : best));
}

function compareIds(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
