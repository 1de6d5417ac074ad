/**
 * The attention panel (browser side of the `localGpt.attentionView` webview view).
 *
 * The host posts snapshots (src/attention/messages.ts); this script keeps the selection in the pure
 * reducer of src/attention/panelState.ts and draws:
 *   - the window's tokens inline with their real whitespace and line breaks, coloured by the attention
 *     the selected query token pays them (click / arrow keys / Home / End move the query);
 *   - layer and head selectors (a layer's single head, the mean of its heads, or rollout over all layers)
 *     and a layer × head grid coloured by how focused each head is (1 - normalised entropy);
 *   - the ranked list of most-attended earlier tokens, a plain-language explanation and its caveat;
 *   - a readout with exact weights for the hovered or focused token.
 * Every piece of document text goes into the DOM as text (./dom.ts): nothing is parsed as HTML.
 */
import { headEntropies, weightsFor } from '../attention/aggregate';
import { heatBackground, intensity, scaleMax } from '../attention/colour';
import { explain } from '../attention/explain';
import { displayPieces, tokenPositions, verticalNeighbour, type TokenPosition } from '../attention/layout';
import { parseHostMessage, type WebviewToHost } from '../attention/messages';
import { initialPanelState, missingRow, panelReducer, viewTitle, type PanelAction, type PanelState } from '../attention/panelState';
import { formatWeight, RANKED_INFLUENCES, rankInfluences, tokenLabel } from '../attention/rank';
import type { AttentionSnapshot, AttentionView } from '../attention/types';
import { append, byId, h, replaceChildren } from './dom';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

const ui = {
  status: byId('status'),
  pin: byId<HTMLButtonElement>('pin'),
  refresh: byId<HTMLButtonElement>('refresh'),
  summary: byId('summary'),
  headline: byId('headline'),
  ranked: byId<HTMLOListElement>('ranked'),
  controls: byId('controls'),
  layer: byId<HTMLSelectElement>('layer'),
  head: byId<HTMLSelectElement>('head'),
  viewTitle: byId('view-title'),
  readout: byId('readout'),
  tokens: byId('tokens'),
  gridSection: byId('grid-section'),
  grid: byId<HTMLTableElement>('grid'),
  explanation: byId('explanation'),
  reading: byId('reading'),
  caveat: byId('caveat'),
  howTo: byId('how-to'),
  meta: byId('meta'),
};

let state: PanelState = initialPanelState();
/** Spans of the current snapshot's tokens (rebuilt only when a new snapshot arrives). */
let spans: HTMLElement[] = [];
let positions: TokenPosition[] = [];
let drawnSnapshot: AttentionSnapshot | null = null;
/** The row asked from the host, so one missing row is requested once. */
let requested: { snapshot: AttentionSnapshot; query: number } | null = null;
let hovered: number | null = null;
let lastSelection = '';

const saved = vscode.getState() as { pinned?: unknown } | undefined;
if (saved && saved.pinned === true) state = { ...state, pinned: true };

function dispatch(action: PanelAction, opts: { focus?: boolean; fromUser?: boolean } = {}): void {
  const before = state;
  state = panelReducer(state, action);
  if (state === before) return;
  render();
  if (opts.focus) spans[state.query]?.focus({ preventScroll: false });
  if (opts.fromUser) reportSelection();
  const missing = missingRow(state);
  if (missing !== null && state.snapshot && (requested?.snapshot !== state.snapshot || requested.query !== missing)) {
    requested = { snapshot: state.snapshot, query: missing };
    vscode.postMessage({ type: 'requestRow', query: missing });
  }
}

function reportSelection(): void {
  if (state.status !== 'ready') return;
  const key = JSON.stringify([state.query, state.layer, state.view]);
  if (key === lastSelection) return;
  lastSelection = key;
  vscode.postMessage({ type: 'selection', query: state.query, layer: state.layer, view: state.view });
}

// ---------------------------------------------------------------------------------------------
// Rendering

function render(): void {
  const s = state.snapshot;
  const ready = state.status === 'ready' && s !== null;
  document.body.dataset.status = state.status;
  document.body.dataset.busy = String(state.busy);
  ui.pin.setAttribute('aria-pressed', String(state.pinned));
  ui.pin.textContent = state.pinned ? 'Pinned' : 'Pin';
  ui.pin.title = state.pinned ? 'Pinned: the cursor does not move the selected token. Click to follow the cursor again.' : 'Pin the selected token (stop following the cursor)';
  ui.summary.hidden = !ready;
  ui.controls.hidden = !ready;
  ui.tokens.hidden = !ready;
  ui.gridSection.hidden = !ready;
  ui.explanation.hidden = !ready;
  ui.readout.hidden = !ready;
  ui.howTo.hidden = state.status !== 'unsupported';
  if (!ready) {
    ui.status.textContent = state.message;
    ui.howTo.textContent = state.howTo;
    ui.meta.textContent = '';
    return;
  }
  if (drawnSnapshot !== s) drawSnapshot(s);
  ui.status.textContent = state.message; // e.g. "Computing…" while a newer window loads

  const weights = weightsFor(s, state.view, state.layer, state.query);
  drawControls(s);
  drawWeights(s, weights);
  drawGrid(s);
  drawSummary(s, weights);
  drawReadout();
}

function drawSnapshot(s: AttentionSnapshot): void {
  drawnSnapshot = s;
  positions = tokenPositions(s.tokens, s.startLine);
  spans = s.tokens.map((t, i) => {
    const span = h('span', { class: 'tok', role: 'option', id: `tok-${i}`, 'data-i': i, tabindex: -1, 'aria-selected': 'false' });
    if (t.generated) span.classList.add('generated');
    if (t.special) span.classList.add('special');
    if (t.text === '' && !t.generated) {
      span.classList.add('partial');
      span.textContent = '·'; // the middle of a multi-byte character: a visible dot so it can be clicked
    }
    for (const p of displayPieces(t.text)) {
      if (p.kind === 'text') append(span, p.text);
      else if (p.kind === 'tab') append(span, '\t');
      else if (p.kind === 'control') append(span, h('span', { class: 'ctrl' }, p.picture));
      else append(span, h('span', { class: 'eol', 'aria-hidden': 'true' }), '\n');
    }
    return span;
  });
  const frag = document.createDocumentFragment();
  if (s.clipped.before) append(frag, h('span', { class: 'clip', 'aria-hidden': 'true' }, '⋯ earlier text not analysed\n'));
  append(frag, ...spans);
  if (s.clipped.after) append(frag, h('span', { class: 'clip', 'aria-hidden': 'true' }, '\n⋯ later text not analysed'));
  replaceChildren(ui.tokens, frag);

  replaceChildren(ui.layer, h('option', { value: 'rollout' }, 'All layers (rollout)'), ...Array.from({ length: s.nLayer }, (_, l) => h('option', { value: l }, `Layer ${l + 1}`)));
  replaceChildren(ui.head, h('option', { value: 'mean' }, 'Mean of heads'), ...Array.from({ length: s.nHead }, (_, k) => h('option', { value: k }, `Head ${k + 1}`)));

  const header = h('tr', {}, h('th', { scope: 'col' }, ''), ...Array.from({ length: s.nHead }, (_, k) => h('th', { scope: 'col' }, String(k + 1))));
  const rows = Array.from({ length: s.nLayer }, (_, l) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('button', { class: 'layer-btn', 'data-layer': l, title: `Layer ${l + 1}: mean of its heads` }, `L${l + 1}`)),
      ...Array.from({ length: s.nHead }, (_, k) => h('td', {}, h('button', { class: 'cell', 'data-layer': l, 'data-head': k }))),
    ),
  );
  replaceChildren(ui.grid, h('thead', {}, header), h('tbody', {}, ...rows));
  const rowsNote = s.full ? 'every token' : `${s.rows.length} tokens (others on demand)`;
  ui.meta.textContent = `${s.model} · ${s.tokens.length} tokens · ${s.nLayer} layers × ${s.nHead} heads · weights for ${rowsNote} · ${Math.round(s.elapsedMs)} ms${s.note ? ` · ${s.note}` : ''}`;
}

function drawControls(s: AttentionSnapshot): void {
  ui.layer.value = state.view.kind === 'rollout' ? 'rollout' : String(state.layer);
  ui.head.value = state.view.kind === 'head' ? String(state.view.head) : 'mean';
  ui.head.disabled = state.view.kind === 'rollout';
  ui.viewTitle.textContent = viewTitle(state.view, state.layer, s.nHead);
}

function drawWeights(s: AttentionSnapshot, weights: Float32Array | null): void {
  const q = state.query;
  const max = weights ? scaleMax(weights, q) : 0;
  ui.tokens.classList.toggle('pending', weights === null);
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i];
    const isQuery = i === q;
    span.classList.toggle('query', isQuery);
    span.classList.toggle('future', i > q);
    span.setAttribute('aria-selected', String(isQuery));
    span.tabIndex = isQuery ? 0 : -1;
    const w = weights && i <= q ? weights[i] : 0;
    span.style.backgroundColor = weights && i < q ? heatBackground(intensity(w, max)) : '';
    const t = s.tokens[i];
    const where = `line ${positions[i].line + 1}`;
    const label = isQuery
      ? `Selected token ${tokenLabel(t)}, ${where}${weights ? `, ${formatWeight(w)} on itself` : ''}`
      : i < q
        ? `${tokenLabel(t)}, ${where}, attention ${weights ? formatWeight(w) : 'not computed yet'}`
        : `${tokenLabel(t)}, ${where}, after the selected token`;
    span.setAttribute('aria-label', label);
    span.title = weights && i <= q ? `${formatWeight(w)} (${w.toFixed(6)})` : i > q ? 'after the selected token: not visible to it' : '';
  }
}

function drawGrid(s: AttentionSnapshot): void {
  const entropies = headEntropies(s, state.query);
  for (const b of ui.grid.querySelectorAll<HTMLButtonElement>('button.cell')) {
    const l = Number(b.dataset.layer);
    const k = Number(b.dataset.head);
    const e = entropies ? entropies[l * s.nHead + k] : null;
    b.style.backgroundColor = e === null ? '' : heatBackground(1 - e);
    const selected = state.view.kind === 'head' && state.view.head === k && state.layer === l;
    b.setAttribute('aria-pressed', String(selected));
    const focus = e === null ? 'not computed' : e < 0.34 ? 'focused' : e < 0.67 ? 'mixed' : 'spread out';
    b.setAttribute('aria-label', `Layer ${l + 1} head ${k + 1}: ${focus}${e === null ? '' : `, entropy ${e.toFixed(2)}`}`);
    b.title = `Layer ${l + 1} · head ${k + 1}${e === null ? '' : ` — entropy ${e.toFixed(2)} (${focus})`}`;
  }
  for (const b of ui.grid.querySelectorAll<HTMLButtonElement>('button.layer-btn')) {
    b.setAttribute('aria-pressed', String(state.view.kind === 'mean' && state.layer === Number(b.dataset.layer)));
  }
}

function drawSummary(s: AttentionSnapshot, weights: Float32Array | null): void {
  const q = state.query;
  if (!weights) {
    ui.headline.textContent = `Computing the weights of ${tokenLabel(s.tokens[q])}…`;
    replaceChildren(ui.ranked);
    return;
  }
  const ranked = rankInfluences(weights, q, { limit: RANKED_INFLUENCES });
  const text = explain({
    tokens: s.tokens,
    query: q,
    line: positions[q].line + 1,
    view: state.view,
    layer: state.layer,
    nLayer: s.nLayer,
    nHead: s.nHead,
    ranked,
    selfWeight: weights[q],
    generated: s.generatedFrom >= 0 && q >= s.generatedFrom - 1,
    retrieved: s.retrieved,
  });
  ui.headline.textContent = text.headline;
  const max = scaleMax(weights, q);
  replaceChildren(
    ui.ranked,
    ...ranked.map((r) => {
      const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
      bar.style.width = `${Math.round(Math.min(1, r.weight / max) * 100)}%`; // bars are linear in the weight
      return h(
        'li',
        {},
        h(
          'button',
          { class: 'rank', 'data-i': r.index, title: `Show it in the text (line ${positions[r.index].line + 1})` },
          h('span', { class: 'rank-token' }, tokenLabel(s.tokens[r.index], 28)),
          h('span', { class: 'rank-line' }, `line ${positions[r.index].line + 1}`),
          h('span', { class: 'rank-weight' }, formatWeight(r.weight)),
          h('span', { class: 'rank-bar' }, bar),
        ),
      );
    }),
  );
  replaceChildren(ui.reading, ...text.reading.map((p) => h('p', {}, p)));
  ui.caveat.textContent = text.caveat;
}

function drawReadout(): void {
  const s = state.snapshot;
  if (!s) return;
  const i = hovered ?? state.query;
  const t = s.tokens[i];
  const q = state.query;
  const weights = weightsFor(s, state.view, state.layer, q);
  let text: string;
  if (i === q) text = `Selected: ${tokenLabel(t, 40)} — line ${positions[i].line + 1}${weights ? `, ${formatWeight(weights[q])} on itself` : ''}`;
  else if (i > q) text = `${tokenLabel(t, 40)} comes after the selected token: it cannot be attended to.`;
  else text = `${tokenLabel(t, 40)} ← ${weights ? `${formatWeight(weights[i])} (${weights[i].toFixed(5)})` : '…'} · line ${positions[i].line + 1}`;
  ui.readout.textContent = text;
}

/** Scrolls the token box (only it, not the page: the summary stays in view) to the query token. */
function scrollToQuery(how: 'center' | 'nearest'): void {
  const span = spans[state.query];
  if (!span || ui.tokens.hidden) return;
  const box = ui.tokens;
  const top = span.offsetTop - box.offsetTop;
  const bottom = top + span.offsetHeight;
  if (how === 'center') box.scrollTop = Math.max(0, top - box.clientHeight / 2);
  else if (top < box.scrollTop) box.scrollTop = top;
  else if (bottom > box.scrollTop + box.clientHeight) box.scrollTop = bottom - box.clientHeight;
}

// ---------------------------------------------------------------------------------------------
// Input

const tokenIndex = (target: EventTarget | null): number | null => {
  const el = target instanceof Element ? target.closest<HTMLElement>('.tok') : null;
  const i = el ? Number(el.dataset.i) : NaN;
  return Number.isInteger(i) ? i : null;
};

ui.tokens.addEventListener('click', (e) => {
  const i = tokenIndex(e.target);
  if (i !== null) dispatch({ type: 'selectQuery', index: i }, { focus: true, fromUser: true });
});
ui.tokens.addEventListener('dblclick', (e) => {
  const i = tokenIndex(e.target);
  if (i !== null) vscode.postMessage({ type: 'reveal', index: i });
});
ui.tokens.addEventListener('mouseover', (e) => {
  const i = tokenIndex(e.target);
  if (i !== hovered) {
    hovered = i;
    drawReadout();
  }
});
ui.tokens.addEventListener('mouseleave', () => {
  hovered = null;
  drawReadout();
});
ui.tokens.addEventListener('keydown', (e) => {
  const moves: Record<string, PanelAction | undefined> = {
    ArrowLeft: { type: 'moveQuery', delta: -1 },
    ArrowRight: { type: 'moveQuery', delta: 1 },
    Home: { type: 'moveQuery', delta: 'first' },
    End: { type: 'moveQuery', delta: 'last' },
    ArrowUp: { type: 'selectQuery', index: verticalNeighbour(positions, state.query, -1) },
    ArrowDown: { type: 'selectQuery', index: verticalNeighbour(positions, state.query, 1) },
  };
  const action = moves[e.key];
  if (action) {
    e.preventDefault();
    hovered = null;
    dispatch(action, { focus: true, fromUser: true });
  } else if (e.key === 'Enter') {
    e.preventDefault();
    vscode.postMessage({ type: 'reveal', index: state.query });
  }
});

ui.layer.addEventListener('change', () => {
  if (ui.layer.value === 'rollout') dispatch({ type: 'selectView', view: { kind: 'rollout' } }, { fromUser: true });
  else {
    const layer = Number(ui.layer.value);
    const view: AttentionView = state.view.kind === 'rollout' ? { kind: 'mean' } : state.view;
    dispatch({ type: 'selectLayer', layer }, { fromUser: true });
    dispatch({ type: 'selectView', view }, { fromUser: true });
  }
});
ui.head.addEventListener('change', () => {
  const view: AttentionView = ui.head.value === 'mean' ? { kind: 'mean' } : { kind: 'head', head: Number(ui.head.value) };
  dispatch({ type: 'selectView', view }, { fromUser: true });
});
ui.grid.addEventListener('click', (e) => {
  const b = e.target instanceof Element ? e.target.closest<HTMLButtonElement>('button') : null;
  if (!b) return;
  const layer = Number(b.dataset.layer);
  if (b.classList.contains('cell')) dispatch({ type: 'selectHead', layer, head: Number(b.dataset.head) }, { fromUser: true });
  else {
    dispatch({ type: 'selectLayer', layer }, { fromUser: true });
    dispatch({ type: 'selectView', view: { kind: 'mean' } }, { fromUser: true });
  }
});
ui.ranked.addEventListener('click', (e) => {
  const b = e.target instanceof Element ? e.target.closest<HTMLButtonElement>('button.rank') : null;
  const i = b ? Number(b.dataset.i) : NaN;
  const span = spans[i];
  if (!span) return;
  span.scrollIntoView({ block: 'nearest' });
  span.classList.remove('flash');
  void span.offsetWidth; // restart the animation
  span.classList.add('flash');
  hovered = i;
  drawReadout();
});
ui.pin.addEventListener('click', () => {
  dispatch({ type: 'setPinned', pinned: !state.pinned });
  vscode.setState({ pinned: state.pinned });
  vscode.postMessage({ type: 'setPinned', pinned: state.pinned });
});
ui.refresh.addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = parseHostMessage(event.data);
  if (!parsed.ok) {
    console.warn(`attention panel: ignored a message from the extension: ${parsed.error}`);
    return;
  }
  const m = parsed.message;
  switch (m.type) {
    case 'snapshot':
      requested = null;
      dispatch({ type: 'snapshot', snapshot: m.snapshot, query: m.query, view: m.view, layer: m.layer });
      lastSelection = '';
      reportSelection();
      if (!ui.tokens.contains(document.activeElement)) scrollToQuery('center');
      break;
    case 'cursor':
      dispatch({ type: 'cursor', index: m.index });
      if (!state.pinned) {
        scrollToQuery('nearest');
        reportSelection();
      }
      break;
    default:
      dispatch(m);
  }
});

render();
vscode.postMessage({ type: 'ready' });
