// A snapshot with hand-made but plausible attention patterns (previous token, first-token sink,
// same text, recency), for browser tests of the panel: no model needed.
import { meanOverHeads, rolloutRows } from '../../../src/attention/aggregate';
import { alignTokens } from '../../../src/attention/layout';
import type { AttentionSnapshot } from '../../../src/attention/types';

/** Splits code into word / space-prefixed word / punctuation / line-break tokens, like a code BPE would. */
function codeTokens(text: string): string[] {
  return text.match(/\r\n|\n|\t| ?[A-Za-z_$][\w$]*| ?\d+| +(?=\S)| +|[^\s\w]/gu) ?? [];
}

export function syntheticSnapshot(text: string, opts: { nLayer?: number; nHead?: number; cursor?: number } = {}): AttentionSnapshot {
  const nLayer = opts.nLayer ?? 4;
  const nHead = opts.nHead ?? 4;
  const parts = codeTokens(text);
  if (parts.join('') !== text) throw new Error('syntheticSnapshot: the tokenizer regex lost characters');
  const enc = new TextEncoder();
  const tokens = alignTokens(text, 0, parts.map((p, i) => ({ id: i, bytes: enc.encode(p), special: false })));
  const T = tokens.length;
  const layers: Float32Array[] = [];
  for (let l = 0; l < nLayer; l++) {
    const A = new Float32Array(nHead * T * T);
    for (let h = 0; h < nHead; h++) {
      for (let q = 0; q < T; q++) {
        const row = new Float64Array(q + 1);
        for (let k = 0; k <= q; k++) {
          const kind = (h + l) % 4;
          let s = 0.02;
          if (kind === 0) s += k === q - 1 ? 4 : 0; // previous token
          if (kind === 1) s += k === 0 ? 3 : 0.3 / (1 + q - k); // sink + recency
          if (kind === 2) s += tokens[k].text.trim() !== '' && tokens[k].text.trim() === tokens[q].text.trim() && k !== q ? 3 : 0.1;
          if (kind === 3) s += Math.exp(-(q - k) / (2 + l)); // recency
          row[k] = s;
        }
        const sum = row.reduce((a, b) => a + b, 0);
        for (let k = 0; k <= q; k++) A[(h * T + q) * T + k] = row[k] / sum;
      }
    }
    layers.push(A);
  }
  const rows = Array.from({ length: T }, (_, i) => i);
  const probs = new Float32Array(nLayer * nHead * T * T);
  layers.forEach((A, l) => probs.set(A, l * nHead * T * T));
  const rollout = rolloutRows(layers.map((A) => meanOverHeads(A, nHead, T, T)), T, rows);
  const cursor = opts.cursor ?? text.length;
  let queryToken = 0;
  tokens.forEach((t, i) => t.start < cursor && (queryToken = i));
  return {
    model: 'synthetic', nLayer, nHead, tokens, rows, probs, rollout, full: true, queryToken, generatedFrom: -1,
    clipped: { before: false, after: false }, startLine: 0, elapsedMs: 12,
  };
}
