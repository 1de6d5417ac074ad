// Small hand-made snapshots for the attention unit tests.
import type { AttentionSnapshot, AttentionToken } from '../../../src/attention/types';

/** Tokens laid end to end from offset 0. */
export function tokensOf(texts: string[], start = 0): AttentionToken[] {
  let at = start;
  return texts.map((text, i) => {
    const t = { id: 100 + i, text, start: at, end: at + text.length, generated: false, special: false };
    at += text.length;
    return t;
  });
}

export function snapshotOf(o: {
  texts: string[];
  nLayer: number;
  nHead: number;
  rows: number[];
  probs: number[];
  rollout: number[];
  queryToken?: number;
}): AttentionSnapshot {
  return {
    model: 'test',
    nLayer: o.nLayer,
    nHead: o.nHead,
    tokens: tokensOf(o.texts),
    rows: o.rows,
    probs: Float32Array.from(o.probs),
    rollout: Float32Array.from(o.rollout),
    full: o.rows.length === o.texts.length,
    queryToken: o.queryToken ?? o.texts.length - 1,
    generatedFrom: -1,
    clipped: { before: false, after: false },
    startLine: 0,
    elapsedMs: 1,
  };
}

/** A uniform causal snapshot over `texts` with every row (all heads and rollout uniform over 0..q). */
export function uniformSnapshot(texts: string[], nLayer = 2, nHead = 2): AttentionSnapshot {
  const T = texts.length;
  const row = (q: number) => Array.from({ length: T }, (_, k) => (k <= q ? 1 / (q + 1) : 0));
  const rows = Array.from({ length: T }, (_, i) => i);
  const probs: number[] = [];
  for (let l = 0; l < nLayer; l++) for (let h = 0; h < nHead; h++) for (const q of rows) probs.push(...row(q));
  return snapshotOf({ texts, nLayer, nHead, rows, probs, rollout: rows.flatMap(row) });
}
