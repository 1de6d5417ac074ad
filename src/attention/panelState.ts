/**
 * The attention panel's selection state as a pure reducer: which token is the query, which layer and
 * view (one head, mean of heads, rollout), pinned or following the cursor. The webview runs it on
 * every click and key; the unit tests drive it without a DOM.
 */
import { rowIndex } from './aggregate';
import type { AttentionSnapshot, AttentionView } from './types';

type PanelStatus = 'empty' | 'loading' | 'ready' | 'unsupported' | 'error';

export interface PanelState {
  status: PanelStatus;
  /** What the panel says when it has no weights to show (or while loading a new window). */
  message: string;
  /** For `unsupported`: how to get a model that exposes attention. */
  howTo: string;
  snapshot: AttentionSnapshot | null;
  /** Selected query token (index into snapshot.tokens). */
  query: number;
  layer: number;
  view: AttentionView;
  /** Pinned: cursor moves in the editor do not change the query token. */
  pinned: boolean;
  /** A newer window is being computed (the old weights stay on screen, dimmed). */
  busy: boolean;
}

export type PanelAction =
  | { type: 'loading'; message: string }
  | { type: 'snapshot'; snapshot: AttentionSnapshot; query?: number; view?: AttentionView; layer?: number }
  | { type: 'unsupported'; message: string; howTo: string }
  | { type: 'error'; message: string }
  | { type: 'empty'; message: string }
  /** The user clicked a token (or pressed Enter on it). */
  | { type: 'selectQuery'; index: number }
  /** Arrow keys: ±n tokens, or the first/last token. */
  | { type: 'moveQuery'; delta: number | 'first' | 'last' }
  /** The editor cursor moved onto token `index` (ignored while pinned). */
  | { type: 'cursor'; index: number }
  | { type: 'selectLayer'; layer: number }
  | { type: 'selectView'; view: AttentionView }
  /** A cell of the layer × head grid. */
  | { type: 'selectHead'; layer: number; head: number }
  | { type: 'setPinned'; pinned: boolean };

export const DEFAULT_VIEW: AttentionView = { kind: 'rollout' };

export function initialPanelState(message = 'No attention yet — run “Local GPT: Explain Attention” in an editor.'): PanelState {
  return { status: 'empty', message, howTo: '', snapshot: null, query: 0, layer: 0, view: DEFAULT_VIEW, pinned: false, busy: false };
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

function validView(view: AttentionView, nHead: number): AttentionView {
  if (view.kind === 'head' && !(Number.isInteger(view.head) && view.head >= 0 && view.head < nHead)) return { kind: 'mean' };
  return view;
}

export function panelReducer(state: PanelState, action: PanelAction): PanelState {
  switch (action.type) {
    case 'loading':
      // Keep showing the old weights (dimmed by the view) until the new ones arrive.
      return { ...state, status: state.snapshot ? state.status : 'loading', message: action.message, busy: true };
    case 'snapshot': {
      const s = action.snapshot;
      const T = s.tokens.length;
      if (T === 0) return { ...state, status: 'empty', snapshot: null, message: 'The window has no tokens.', busy: false };
      const query = clamp(action.query ?? s.queryToken, 0, T - 1);
      const layer = clamp(action.layer ?? (state.snapshot ? state.layer : s.nLayer - 1), 0, s.nLayer - 1);
      const view = validView(action.view ?? state.view, s.nHead);
      return { ...state, status: 'ready', message: '', howTo: '', snapshot: s, query, layer, view, busy: false };
    }
    case 'unsupported':
      return { ...state, status: 'unsupported', message: action.message, howTo: action.howTo, snapshot: null, busy: false };
    case 'error':
      return { ...state, status: 'error', message: action.message, snapshot: null, busy: false };
    case 'empty':
      return { ...state, status: 'empty', message: action.message, snapshot: null, busy: false };
    case 'selectQuery':
      return withQuery(state, action.index);
    case 'moveQuery': {
      if (!state.snapshot) return state;
      const T = state.snapshot.tokens.length;
      const to = action.delta === 'first' ? 0 : action.delta === 'last' ? T - 1 : state.query + action.delta;
      return withQuery(state, clamp(to, 0, T - 1));
    }
    case 'cursor':
      return state.pinned ? state : withQuery(state, action.index);
    case 'selectLayer':
      if (!state.snapshot || !Number.isInteger(action.layer)) return state;
      return { ...state, layer: clamp(action.layer, 0, state.snapshot.nLayer - 1) };
    case 'selectView':
      if (!state.snapshot) return { ...state, view: action.view };
      return { ...state, view: validView(action.view, state.snapshot.nHead) };
    case 'selectHead': {
      const s = state.snapshot;
      if (!s || !Number.isInteger(action.layer) || !Number.isInteger(action.head)) return state;
      if (action.layer < 0 || action.layer >= s.nLayer || action.head < 0 || action.head >= s.nHead) return state;
      return { ...state, layer: action.layer, view: { kind: 'head', head: action.head } };
    }
    case 'setPinned':
      return { ...state, pinned: action.pinned };
  }
}

function withQuery(state: PanelState, index: number): PanelState {
  if (!state.snapshot || !Number.isInteger(index) || index < 0 || index >= state.snapshot.tokens.length) return state;
  return index === state.query ? state : { ...state, query: index };
}

/** The query row the panel needs but the snapshot lacks (the host must fetch it), or null. */
export function missingRow(state: PanelState): number | null {
  const s = state.snapshot;
  if (state.status !== 'ready' || !s) return null;
  return rowIndex(s.rows, state.query) < 0 ? state.query : null;
}

/** Human name of a view: "Rollout (all layers)", "Layer 3 · mean of 8 heads", "Layer 3 · head 5". 1-based for people. */
export function viewTitle(view: AttentionView, layer: number, nHead: number): string {
  if (view.kind === 'rollout') return 'Rollout (all layers)';
  if (view.kind === 'mean') return `Layer ${layer + 1} · mean of ${nHead} heads`;
  return `Layer ${layer + 1} · head ${view.head + 1}`;
}
