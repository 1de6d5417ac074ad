/**
 * Which earlier tokens the query token looked at most: the ranked list of the Explain Attention
 * command and of the panel.
 */
import type { AttentionToken } from './types';

export interface Influence {
  /** Token index in the window. */
  index: number;
  /** Attention weight in [0, 1] (share of the query's row). */
  weight: number;
  /** 1-based rank. */
  rank: number;
}

/** Entries of the ranked list that the Explain Attention command and the panel show. */
export const RANKED_INFLUENCES = 8;

interface RankOptions {
  /** At most this many entries (default RANKED_INFLUENCES). */
  limit?: number;
  /** Rank the query token itself too (default false: "earlier tokens"). */
  includeQuery?: boolean;
  /** Leave out weights below this (default 0: only exact zeros are dropped). */
  minWeight?: number;
}

/**
 * Ranks key tokens 0..query by weight, highest first; equal weights keep document order, so the result
 * does not depend on the sort's stability. Tokens after the query (causally masked) are never listed.
 */
export function rankInfluences(weights: ArrayLike<number>, query: number, options: RankOptions = {}): Influence[] {
  const { limit = RANKED_INFLUENCES, includeQuery = false, minWeight = 0 } = options;
  if (!Number.isInteger(query) || query < 0 || query >= weights.length) {
    throw new Error(`rankInfluences: query ${query} is outside the ${weights.length} tokens`);
  }
  const last = includeQuery ? query : query - 1;
  const candidates: { index: number; weight: number }[] = [];
  for (let k = 0; k <= last; k++) {
    const w = weights[k];
    if (Number.isFinite(w) && w > 0 && w >= minWeight) candidates.push({ index: k, weight: w });
  }
  candidates.sort((a, b) => b.weight - a.weight || a.index - b.index);
  return candidates.slice(0, Math.max(0, limit)).map((c, i) => ({ ...c, rank: i + 1 }));
}

/** A token's text for a list or a hover: whitespace made visible, long tokens shortened. */
export function tokenLabel(token: Pick<AttentionToken, 'text' | 'special' | 'id'>, maxLength = 24): string {
  if (token.text === '') return `‹byte of a character›`;
  let label = token.text.replace(/\r\n/g, '↵').replace(/[\n\r]/g, '↵').replace(/\t/g, '→').replace(/ /g, '·');
  if (label.length > maxLength) label = label.slice(0, maxLength - 1) + '…';
  return label;
}

/** A weight as a percentage for people: "42%", "3.1%", "0.42%", "<0.01%". */
export function formatWeight(weight: number): string {
  const p = weight * 100;
  if (!(p > 0)) return '0%';
  if (p < 0.01) return '<0.01%';
  if (p < 1) return `${p.toFixed(2)}%`;
  if (p < 10) return `${p.toFixed(1)}%`;
  return `${Math.round(p)}%`;
}
