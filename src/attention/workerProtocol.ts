/**
 * The `attention` request of the host <-> model worker protocol (src/engine/protocol.ts holds the unions;
 * the fields and their validators live here, next to the data they carry).
 */
import { isRecord, nonNegativeInteger as nonNegInt, str, type Check } from '../validation/checks';
import { parseSnapshot } from './messages';
import type { AttentionSnapshot } from './types';

/** Host -> worker: run the attention graph over a window of the document. */
export interface AttentionRequest {
  type: 'attention';
  id: number;
  /** Document text of the window; starts at a line start. With `completion`: the text before the completion only. */
  text: string;
  /** Document offset of text[0] (UTF-16 code units). */
  baseOffset: number;
  /** 0-based document line of text[0]. */
  baseLine: number;
  /** Cursor offset in the document; the query token is the one just before it. */
  cursor: number;
  /** Window cap, tokens (`localGpt.attention.maxTokens`). */
  maxTokens: number;
  /** More query rows to include (token indices of the window this same request produces). */
  rows: number[];
  /**
   * The model's last completion, inserted at `offset` (its generated tokens follow `text`'s tokens).
   * `inDocument`: it was accepted, so its tokens sit at document offsets from `offset`; otherwise they are
   * placed at `offset` with empty ranges (ghost text is not part of the document). `resultId`: the id of
   * the `complete` request that produced it; when it is the worker's last result, the worker explains that
   * result's exact prompt and generated ids instead of re-tokenizing `text`.
   */
  completion: { text: string; offset: number; inDocument: boolean; resultId?: number } | null;
}

/** What an attention request produces (inside the worker's `attentionResult` reply). */
export type AttentionOutcome =
  | { kind: 'ok'; snapshot: AttentionSnapshot }
  /** The loaded model has no graph with attention outputs; `howTo` says how to export one. */
  | { kind: 'unsupported'; message: string; howTo: string };

export interface AttentionResultMessage {
  type: 'attentionResult';
  id: number;
  outcome: AttentionOutcome;
}

/** Largest window text the worker accepts, characters (maxTokens 1024 × 8 characters, with room). */
const MAX_WINDOW_CHARS = 64 * 1024;

/** Field checks of an `attention` request (the `type` field is implied). */
export const ATTENTION_REQUEST_FIELDS: Record<string, Check> = {
  id: nonNegInt,
  text: (v, p) => str(v, p) ?? ((v as string).length > MAX_WINDOW_CHARS ? `${p} is longer than ${MAX_WINDOW_CHARS} characters` : null),
  baseOffset: nonNegInt,
  baseLine: nonNegInt,
  cursor: nonNegInt,
  maxTokens: (v, p) => nonNegInt(v, p) ?? ((v as number) < 1 || (v as number) > 4096 ? `${p} must be in 1..4096` : null),
  rows: (v, p) => {
    if (!Array.isArray(v)) return `${p} must be an array`;
    if (v.length > 4096) return `${p} has too many entries`;
    for (let i = 0; i < v.length; i++) {
      const e = nonNegInt(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return null;
  },
  completion: (v, p) => {
    if (v === null) return null;
    if (!isRecord(v)) return `${p} must be an object or null`;
    return (
      str(v.text, `${p}.text`) ??
      nonNegInt(v.offset, `${p}.offset`) ??
      (typeof v.inDocument === 'boolean' ? null : `${p}.inDocument must be a boolean`) ??
      (v.resultId === undefined ? null : nonNegInt(v.resultId, `${p}.resultId`))
    );
  },
};

/** Field checks of an `attentionResult` reply. */
export const ATTENTION_RESULT_FIELDS: Record<string, Check> = {
  id: nonNegInt,
  outcome: (v, p) => {
    if (!isRecord(v)) return `${p} must be an object`;
    if (v.kind === 'unsupported') return str(v.message, `${p}.message`) ?? str(v.howTo, `${p}.howTo`);
    if (v.kind !== 'ok') return `${p}.kind must be ok or unsupported`;
    const s = parseSnapshot(v.snapshot);
    return s.ok ? null : `${p}.${s.error}`;
  },
};
