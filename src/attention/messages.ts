/**
 * The extension host <-> attention webview protocol: one discriminated union per direction, shared by
 * src/extension/attentionView.ts and src/webview/attentionPanel.ts, and validators for what arrives.
 * Anything from the webview is untrusted input: a message that does not match is ignored (and logged)
 * by the host, never acted on.
 */
import { isRecord, type Parsed } from '../validation/checks';
import type { AttentionSnapshot, AttentionToken, AttentionView } from './types';

export type HostToWebview =
  | { type: 'loading'; message: string }
  | { type: 'snapshot'; snapshot: AttentionSnapshot; query?: number; view?: AttentionView; layer?: number }
  /** The editor cursor is on token `index` of the current snapshot. */
  | { type: 'cursor'; index: number }
  | { type: 'unsupported'; message: string; howTo: string }
  | { type: 'error'; message: string }
  | { type: 'empty'; message: string };

export type WebviewToHost =
  /** The script started and listens (sent once per page load). */
  | { type: 'ready' }
  /** The selected query token's row is not in the snapshot; please compute it. */
  | { type: 'requestRow'; query: number }
  /** Show this token in the editor (Enter / double-click on a token). */
  | { type: 'reveal'; index: number }
  /** The panel's selection changed (keeps the editor highlights in step). */
  | { type: 'selection'; query: number; layer: number; view: AttentionView }
  | { type: 'setPinned'; pinned: boolean }
  /** Recompute the window around the cursor. */
  | { type: 'refresh' };

/** Token and layer indices: non-negative integers, bounded so a hostile value cannot make us allocate. */
const MAX_INDEX = 1 << 20;
const index = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < MAX_INDEX;

function parseView(v: unknown, path: string): AttentionView | string {
  if (!isRecord(v)) return `${path} must be an object`;
  if (v.kind === 'rollout' || v.kind === 'mean') {
    if (Object.keys(v).length !== 1) return `${path} has unknown fields`;
    return { kind: v.kind };
  }
  if (v.kind === 'head') {
    if (!index(v.head)) return `${path}.head must be a non-negative integer`;
    if (Object.keys(v).length !== 2) return `${path} has unknown fields`;
    return { kind: 'head', head: v.head };
  }
  return `${path}.kind must be one of head, mean, rollout`;
}

/**
 * Validates a message posted by the webview. Returns a fresh object holding only the known fields, so
 * nothing unexpected (prototype tricks, extra payload) reaches the host's handlers.
 */
export function parseWebviewMessage(data: unknown): Parsed<WebviewToHost> {
  if (!isRecord(data)) return { ok: false, error: 'message must be an object' };
  const fail = (error: string): Parsed<WebviewToHost> => ({ ok: false, error: `message${typeof data.type === 'string' ? ` "${data.type.slice(0, 40)}"` : ''}: ${error}` });
  const only = (...keys: string[]) => Object.keys(data).every((k) => k === 'type' || keys.includes(k));
  switch (data.type) {
    case 'ready':
    case 'refresh':
      return only() ? { ok: true, message: { type: data.type } } : fail('unexpected fields');
    case 'requestRow':
      if (!index(data.query)) return fail('query must be a non-negative integer');
      return only('query') ? { ok: true, message: { type: 'requestRow', query: data.query } } : fail('unexpected fields');
    case 'reveal':
      if (!index(data.index)) return fail('index must be a non-negative integer');
      return only('index') ? { ok: true, message: { type: 'reveal', index: data.index } } : fail('unexpected fields');
    case 'setPinned':
      if (typeof data.pinned !== 'boolean') return fail('pinned must be a boolean');
      return only('pinned') ? { ok: true, message: { type: 'setPinned', pinned: data.pinned } } : fail('unexpected fields');
    case 'selection': {
      if (!index(data.query)) return fail('query must be a non-negative integer');
      if (!index(data.layer)) return fail('layer must be a non-negative integer');
      const view = parseView(data.view, 'view');
      if (typeof view === 'string') return fail(view);
      if (!only('query', 'layer', 'view')) return fail('unexpected fields');
      return { ok: true, message: { type: 'selection', query: data.query, layer: data.layer, view } };
    }
    default:
      return { ok: false, error: `message.type must be one of ready, requestRow, reveal, selection, setPinned, refresh` };
  }
}

/**
 * Float32 data as it arrives through postMessage: a Float32Array (VS Code transfers typed arrays), or a
 * plain array / ArrayBuffer from a runtime that converts them. Null when it is none of these.
 */
export function asFloat32(v: unknown): Float32Array | null {
  if (v instanceof Float32Array) return v;
  if (v instanceof ArrayBuffer) return v.byteLength % 4 === 0 ? new Float32Array(v) : null;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Float32Array.from(v);
  if (ArrayBuffer.isView(v) && v.byteLength % 4 === 0) return new Float32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  return null;
}

function parseToken(v: unknown, i: number): AttentionToken | string {
  if (!isRecord(v)) return `tokens[${i}] must be an object`;
  const { id, text, start, end, generated, special } = v;
  if (!index(id) || typeof text !== 'string' || typeof start !== 'number' || typeof end !== 'number' || !(end >= start)) {
    return `tokens[${i}] needs id, text, start <= end`;
  }
  return { id, text, start, end, generated: generated === true, special: special === true };
}

/** Validates a snapshot (host -> webview, or worker -> host), checking that the arrays have the sizes the numbers say. */
export function parseSnapshot(v: unknown): Parsed<AttentionSnapshot> {
  if (!isRecord(v)) return { ok: false, error: 'snapshot must be an object' };
  const { nLayer, nHead, rows, model, queryToken, generatedFrom, startLine, elapsedMs, full, clipped, note } = v;
  if (!index(nLayer) || !index(nHead) || nLayer === 0 || nHead === 0) return { ok: false, error: 'snapshot.nLayer and nHead must be positive integers' };
  if (!Array.isArray(v.tokens)) return { ok: false, error: 'snapshot.tokens must be an array' };
  const tokens: AttentionToken[] = [];
  for (let i = 0; i < v.tokens.length; i++) {
    const t = parseToken(v.tokens[i], i);
    if (typeof t === 'string') return { ok: false, error: `snapshot.${t}` };
    tokens.push(t);
  }
  const T = tokens.length;
  if (!Array.isArray(rows) || !rows.every((r, i) => index(r) && r < T && (i === 0 || r > rows[i - 1]))) {
    return { ok: false, error: 'snapshot.rows must be ascending token indices' };
  }
  const R = rows.length;
  const probs = asFloat32(v.probs);
  if (!probs || probs.length !== nLayer * nHead * R * T) return { ok: false, error: `snapshot.probs must hold ${nLayer}×${nHead}×${R}×${T} float32 values` };
  const rollout = asFloat32(v.rollout);
  if (!rollout || rollout.length !== R * T) return { ok: false, error: `snapshot.rollout must hold ${R}×${T} float32 values` };
  if (typeof queryToken !== 'number' || !Number.isInteger(queryToken) || queryToken < 0 || (T > 0 && queryToken >= T)) {
    return { ok: false, error: 'snapshot.queryToken must be a token index' };
  }
  if (typeof generatedFrom !== 'number' || !Number.isInteger(generatedFrom) || generatedFrom < -1 || generatedFrom >= Math.max(T, 1)) {
    return { ok: false, error: 'snapshot.generatedFrom must be -1 or a token index' };
  }
  const clip = isRecord(clipped) ? clipped : {};
  return {
    ok: true,
    message: {
      model: typeof model === 'string' ? model : '',
      nLayer,
      nHead,
      tokens,
      rows: rows as number[],
      probs,
      rollout,
      full: full === true,
      queryToken,
      generatedFrom,
      clipped: { before: clip.before === true, after: clip.after === true },
      startLine: index(startLine) ? startLine : 0,
      elapsedMs: typeof elapsedMs === 'number' && elapsedMs >= 0 ? elapsedMs : 0,
      ...(typeof note === 'string' && note.length > 0 ? { note } : {}),
      ...(Array.isArray(v.retrieved) && v.retrieved.every((r) => typeof r === 'string') ? { retrieved: v.retrieved as string[] } : {}),
    },
  };
}

/** Validates a message posted by the host (the webview's defence against its own bugs, not an attacker). */
export function parseHostMessage(data: unknown): Parsed<HostToWebview> {
  if (!isRecord(data)) return { ok: false, error: 'message must be an object' };
  const str = (v: unknown) => typeof v === 'string';
  switch (data.type) {
    case 'loading':
    case 'error':
    case 'empty':
      return str(data.message) ? { ok: true, message: { type: data.type, message: data.message as string } } : { ok: false, error: `${data.type}.message must be a string` };
    case 'unsupported':
      return str(data.message) && str(data.howTo)
        ? { ok: true, message: { type: 'unsupported', message: data.message as string, howTo: data.howTo as string } }
        : { ok: false, error: 'unsupported needs message and howTo strings' };
    case 'cursor':
      return index(data.index) ? { ok: true, message: { type: 'cursor', index: data.index } } : { ok: false, error: 'cursor.index must be a token index' };
    case 'snapshot': {
      const s = parseSnapshot(data.snapshot);
      if (!s.ok) return s;
      const message: HostToWebview = { type: 'snapshot', snapshot: s.message };
      if (data.query !== undefined) {
        if (!index(data.query)) return { ok: false, error: 'snapshot.query must be a token index' };
        message.query = data.query;
      }
      if (data.layer !== undefined) {
        if (!index(data.layer)) return { ok: false, error: 'snapshot.layer must be a layer index' };
        message.layer = data.layer;
      }
      if (data.view !== undefined) {
        const view = parseView(data.view, 'view');
        if (typeof view === 'string') return { ok: false, error: view };
        message.view = view;
      }
      return { ok: true, message };
    }
    default:
      return { ok: false, error: 'unknown host message type' };
  }
}
