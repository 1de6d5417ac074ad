/**
 * Explain Attention: the palette command, the sidebar panel and the editor highlights.
 *
 * - `localGpt.explainAttention`: runs the attention graph in the model worker over a window around the
 *   cursor (or over the last completion), highlights the earlier tokens the prediction looked at most,
 *   and opens the panel with the ranked list, the explanation and every layer and head.
 * - The panel follows the cursor (debounced, unless pinned or `localGpt.attention.followCursor` is off):
 *   inside the analysed window it only moves the selection; outside it, it asks the worker again.
 * - Highlights are cleared on any edit of the document, by `localGpt.clearAttentionHighlights`
 *   (Escape, through the `localGpt.attentionHighlights` context key), or by the next explanation.
 * Heavy work happens in the worker; the host reads at most a window of text per request.
 */
import * as vscode from 'vscode';
import { weightsFor } from '../attention/aggregate';
import { scaleMax } from '../attention/colour';
import { explain, type Explanation } from '../attention/explain';
import { tokenBeforeOffset, tokenPositions } from '../attention/layout';
import { DEFAULT_VIEW, viewTitle } from '../attention/panelState';
import { formatWeight, RANKED_INFLUENCES, rankInfluences, tokenLabel, type Influence } from '../attention/rank';
import { isIndex, parseCompletionArg } from '../attention/commandArgs';
import { attentionRequestFor, completionAtCursor, type AttentionRequestBody, type CompletionRecord } from '../attention/request';
import type { AttentionSnapshot, AttentionView } from '../attention/types';
import type { AttentionOutcome } from '../attention/workerProtocol';
import { isRecord } from '../validation/checks';
import { AttentionDecorations } from './attentionDecorations';
import { docView, documentSlice } from './attentionDocument';
import { ATTENTION_VIEW_ID, AttentionViewProvider } from './attentionView';
import { CONTRIBUTED_COMMANDS, INTERNAL_COMMANDS } from './commands';
import type { Services } from './services';
import { sharedEngine } from './sharedEngine';

/** Worker deadline for one attention request, ms (a 1,024-token window on a slow machine, with room). */
const REQUEST_DEADLINE_MS = 60_000;
/** Cursor moves are coalesced for this long before the panel follows, ms. */
const FOLLOW_DEBOUNCE_MS = 250;

/** What the command returns (for tests and other callers; the user sees the editor and the panel). */
export interface ExplainResult {
  ok: boolean;
  /** Why not, when `ok` is false. */
  message?: string;
  query?: { text: string; line: number; start: number; end: number };
  ranked?: { text: string; weight: number; start: number; end: number; line: number }[];
  /** Editor ranges highlighted. */
  highlighted?: number;
  explanation?: Explanation;
  tokens?: number;
  view?: AttentionView;
}

/** What `localGpt.attention.inspect` returns. */
export interface AttentionState {
  /** Editor ranges highlighted now (0 after an edit, Escape or clear). */
  highlighted: number;
  panel: { resolved: boolean; visible: boolean };
  /** The analysed window, if any. */
  window: { uri: string; tokens: number; query: number; queryText: string; completionText: string | null } | null;
}

interface Current {
  uri: string;
  version: number;
  request: AttentionRequestBody;
  snapshot: AttentionSnapshot;
  query: number;
  layer: number;
  view: AttentionView;
}

export function registerAttentionFeature(context: vscode.ExtensionContext, deps: Services): void {
  const controller = new AttentionController(context, deps);
  context.subscriptions.push(
    controller,
    vscode.window.registerWebviewViewProvider(ATTENTION_VIEW_ID, controller.view),
    // Not awaited by the command system's callers for long: the command resolves once the highlights are set.
    vscode.commands.registerCommand(CONTRIBUTED_COMMANDS.explainAttention, (arg?: unknown) => controller.explainCommand(arg)),
    vscode.commands.registerCommand(CONTRIBUTED_COMMANDS.clearAttentionHighlights, () => controller.clearHighlights()),
    vscode.commands.registerCommand(INTERNAL_COMMANDS.recordCompletion, (arg?: unknown) => controller.recordCompletion(arg)),
    vscode.commands.registerCommand(INTERNAL_COMMANDS.inspectAttention, (): AttentionState => controller.inspect()),
  );
}

class AttentionController implements vscode.Disposable {
  readonly view: AttentionViewProvider;
  private readonly decorations = new AttentionDecorations();
  private readonly disposables: vscode.Disposable[] = [];
  private current: Current | null = null;
  private pinned = false;
  private lastCompletion: CompletionRecord | null = null;
  private followTimer: NodeJS.Timeout | null = null;
  /**
   * Cancels the request in flight: a newer one supersedes it, so the worker answers it at once if it
   * still waits its turn (following the cursor while typing would otherwise queue a pass per pause,
   * ahead of the completions), and its outcome, whatever it was, is dropped.
   */
  private inFlight: vscode.CancellationTokenSource | null = null;
  /** An Explain Attention command is running: background follow-ups wait rather than supersede it. */
  private commandRunning = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: Services,
  ) {
    this.view = new AttentionViewProvider(context.extensionUri, deps.log);
    this.disposables.push(
      this.view,
      this.decorations,
      this.view.onMessage((m) => {
        switch (m.type) {
          case 'requestRow':
            return void this.requestRow(m.query);
          case 'reveal':
            return void this.revealToken(m.index);
          case 'selection':
            return this.selectionChanged(m.query, m.layer, m.view);
          case 'setPinned':
            this.pinned = m.pinned;
            return;
          case 'refresh':
            return void this.refresh();
          case 'ready':
            return;
        }
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        if (this.decorations.editor?.document === e.document) this.decorations.clear();
        if (this.current?.uri === e.document.uri.toString()) this.scheduleFollow();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (this.current && e.textEditor === vscode.window.activeTextEditor) this.scheduleFollow();
      }),
      this.view.onDidChangeVisibility((visible) => visible && this.current && this.scheduleFollow()),
      { dispose: () => this.followTimer && clearTimeout(this.followTimer) },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  async explainCommand(arg: unknown): Promise<ExplainResult> {
    this.commandRunning = true;
    try {
      return await this.explain(arg);
    } finally {
      this.commandRunning = false;
    }
  }

  private async explain(arg: unknown): Promise<ExplainResult> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      const message = 'Explain Attention needs an open editor: put the cursor after the code you want explained.';
      this.deps.log.info(`Explain Attention: ${message}`);
      void vscode.window.showInformationMessage(`Local GPT: ${message}`); // not awaited: settles only when closed
      return { ok: false, message };
    }
    const doc = editor.document;
    const cursor = doc.offsetAt(editor.selection.active);
    const fromArg = parseCompletionArg(arg);
    const completion = fromArg ?? completionAtCursor(this.lastCompletion, docView(doc), cursor);
    const retrieved = completion && !fromArg ? this.lastCompletion?.snippets : undefined;
    const request = attentionRequestFor(documentSlice(doc), cursor, this.deps.settings.current.attention.maxTokens, completion);
    this.decorations.clear();
    this.pinned = false;
    await this.showPanel(editor);
    const outcome = await this.run(request, completion ? 'Computing the attention of the last completion…' : 'Computing attention around the cursor…');
    if (!outcome) return { ok: false, message: 'superseded by a newer request' };
    if (outcome.kind === 'error' || outcome.kind === 'unsupported') {
      const text = outcome.message;
      void vscode.window.showWarningMessage(`Local GPT: ${text}`, 'Show Panel').then((choice) => choice && this.view.reveal(false));
      return { ok: false, message: text };
    }
    const s = outcome.snapshot;
    if (retrieved && retrieved.length > 0) s.retrieved = retrieved;
    if (s.tokens.length === 0) {
      this.view.post({ type: 'empty', message: 'There is no text before the cursor to explain.' });
      return { ok: false, message: 'no text before the cursor' };
    }
    this.current = { uri: doc.uri.toString(), version: doc.version, request, snapshot: s, query: s.queryToken, layer: s.nLayer - 1, view: DEFAULT_VIEW };
    this.view.post({ type: 'snapshot', snapshot: s, query: s.queryToken, view: DEFAULT_VIEW, layer: s.nLayer - 1 });
    const summary = this.highlight(editor);
    this.deps.log.info(
      `Explain Attention: ${s.tokens.length} tokens, query ${JSON.stringify(s.tokens[s.queryToken].text)} (line ${summary.query?.line}), ` +
        `${summary.highlighted} highlights, ${Math.round(s.elapsedMs)} ms in the worker.`,
    );
    return summary;
  }

  /** Opens the panel without leaving the editor (Escape must still reach the editor to clear highlights). */
  private async showPanel(editor: vscode.TextEditor): Promise<void> {
    if (this.view.resolved) return void (await this.view.reveal(true));
    try {
      await this.view.reveal(false); // the view's focus command: the only way to open a view never shown
      await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
    } catch (e) {
      this.deps.log.warn(`Attention: could not open the panel: ${(e as Error).message}`);
    }
  }

  clearHighlights(): void {
    this.decorations.clear();
  }

  inspect(): AttentionState {
    const c = this.current;
    return {
      highlighted: this.decorations.highlighted,
      panel: { resolved: this.view.resolved, visible: this.view.visible },
      window: c
        ? {
            uri: c.uri,
            tokens: c.snapshot.tokens.length,
            query: c.query,
            queryText: c.snapshot.tokens[c.query].text,
            // The last completion's text as the window holds it (its generated tokens), or null.
            completionText: c.snapshot.generatedFrom >= 0 ? c.snapshot.tokens.slice(c.snapshot.generatedFrom).map((t) => t.text).join('') : null,
          }
        : null,
    };
  }

  /** `{ uri: string, offset: number, text: string, resultId?: number, snippets?: string[] }` from the completion feature (ignored when malformed). */
  recordCompletion(arg: unknown): void {
    if (!isRecord(arg) || typeof arg.uri !== 'string' || typeof arg.text !== 'string' || !isIndex(arg.offset)) {
      this.deps.log.warn('Attention: ignored a malformed completion record.');
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === arg.uri);
    const snippets = Array.isArray(arg.snippets) ? arg.snippets.filter((s): s is string => typeof s === 'string') : [];
    this.lastCompletion = {
      uri: arg.uri,
      offset: arg.offset,
      text: arg.text,
      version: doc?.version ?? -1,
      ...(isIndex(arg.resultId) ? { resultId: arg.resultId } : {}),
      ...(snippets.length > 0 ? { snippets } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Worker requests

  private async run(request: AttentionRequestBody, loadingMessage: string): Promise<AttentionOutcome | { kind: 'error'; message: string } | null> {
    this.cancelInFlight();
    const cancellation = new vscode.CancellationTokenSource();
    // Read after the source is disposed: cancelled exactly when a newer request or dispose() superseded this one.
    const superseded = cancellation.token;
    this.inFlight = cancellation;
    this.view.post({ type: 'loading', message: loadingMessage });
    const engine = sharedEngine(this.context, this.deps);
    let outcome: AttentionOutcome | { kind: 'error'; message: string };
    try {
      if (engine.configError) throw new Error(engine.configError);
      await engine.client.ensureLoaded();
      if (superseded.isCancellationRequested) return null;
      const reply = await engine.client.request((id) => ({ type: 'attention', id, ...request }), REQUEST_DEADLINE_MS, superseded);
      if (reply.type === 'cancelled') return null; // superseded by a newer request
      if (reply.type === 'attentionResult') outcome = reply.outcome;
      else if (reply.type === 'error') throw new Error(reply.message);
      else throw new Error(`unexpected reply "${reply.type}" to an attention request`);
    } catch (e) {
      const message = `Explain Attention failed: ${e instanceof Error ? e.message : String(e)}`;
      this.deps.log.error(message);
      outcome = { kind: 'error', message };
    } finally {
      if (this.inFlight === cancellation) this.inFlight = null;
      cancellation.dispose();
    }
    if (superseded.isCancellationRequested) return null;
    if (outcome.kind === 'unsupported') {
      this.deps.log.warn(`${outcome.message} ${outcome.howTo}`);
      this.view.post({ type: 'unsupported', message: outcome.message, howTo: outcome.howTo });
    } else if (outcome.kind === 'error') this.view.post({ type: 'error', message: outcome.message });
    return outcome;
  }

  /** The panel selected a token whose row the partial snapshot lacks. */
  private async requestRow(query: number): Promise<void> {
    const c = this.current;
    if (!c || query >= c.snapshot.tokens.length) return;
    const editor = this.editorFor(c.uri);
    if (!editor || editor.document.version !== c.version) return this.refresh();
    const request = { ...c.request, rows: [...c.request.rows.filter((r) => r !== query), query].slice(-32) };
    const outcome = await this.run(request, 'Computing this token’s weights…');
    if (outcome?.kind !== 'ok') return;
    if (c.snapshot.retrieved) outcome.snapshot.retrieved = c.snapshot.retrieved;
    this.current = { ...c, request, snapshot: outcome.snapshot, query };
    this.view.post({ type: 'snapshot', snapshot: outcome.snapshot, query, view: c.view, layer: c.layer });
  }

  /** Recomputes around the cursor of the active editor (panel follow, Refresh). */
  private async refresh(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.uri.scheme === 'output') return;
    const doc = editor.document;
    const cursor = doc.offsetAt(editor.selection.active);
    const request = attentionRequestFor(documentSlice(doc), cursor, this.deps.settings.current.attention.maxTokens);
    const version = doc.version;
    const outcome = await this.run(request, doc.uri.toString() === this.current?.uri ? 'Updating…' : 'Computing attention around the cursor…');
    if (outcome?.kind !== 'ok' || outcome.snapshot.tokens.length === 0) return;
    const s = outcome.snapshot;
    const previous = this.current;
    this.current = { uri: doc.uri.toString(), version, request, snapshot: s, query: s.queryToken, layer: previous?.layer ?? s.nLayer - 1, view: previous?.view ?? DEFAULT_VIEW };
    this.view.post({ type: 'snapshot', snapshot: s, query: s.queryToken });
  }

  // -------------------------------------------------------------------------------------------
  // Following the cursor

  private scheduleFollow(): void {
    if (this.followTimer) clearTimeout(this.followTimer);
    this.followTimer = setTimeout(() => {
      this.followTimer = null;
      this.follow();
    }, FOLLOW_DEBOUNCE_MS);
  }

  private follow(): void {
    const c = this.current;
    const editor = vscode.window.activeTextEditor;
    if (!c || !editor || this.pinned || !this.deps.settings.current.attention.followCursor || !this.view.visible) return;
    if (this.commandRunning) return this.scheduleFollow(); // the command's result comes first
    if (editor.document.uri.scheme === 'output') return;
    const doc = editor.document;
    const cursor = doc.offsetAt(editor.selection.active);
    const tokens = c.snapshot.tokens;
    const sameText = doc.uri.toString() === c.uri && doc.version === c.version;
    const first = tokens[0];
    const last = tokens[tokens.length - 1];
    if (sameText && c.snapshot.generatedFrom < 0 && cursor > first.start && cursor <= last.end) {
      const index = tokenBeforeOffset(tokens, cursor);
      if (index !== c.query) {
        this.current = { ...c, query: index };
        this.view.post({ type: 'cursor', index });
      }
      return;
    }
    if (sameText && c.snapshot.generatedFrom >= 0) return; // a completion's window stays until the text changes
    void this.refresh();
  }

  // -------------------------------------------------------------------------------------------
  // Selection and highlights

  private selectionChanged(query: number, layer: number, view: AttentionView): void {
    const c = this.current;
    if (!c || query >= c.snapshot.tokens.length || layer >= c.snapshot.nLayer) return;
    if (view.kind === 'head' && view.head >= c.snapshot.nHead) return;
    this.current = { ...c, query, layer, view };
    // Highlights follow the panel while they are shown in the editor of this document.
    const editor = this.decorations.editor;
    if (editor && editor.document.uri.toString() === c.uri && editor.document.version === c.version) this.highlight(editor);
  }

  /** Highlights the current selection's top tokens in `editor`; returns what the command reports. */
  private highlight(editor: vscode.TextEditor): ExplainResult {
    const c = this.current!;
    const s = c.snapshot;
    const weights = weightsFor(s, c.view, c.layer, c.query);
    const positions = tokenPositions(s.tokens, s.startLine);
    const q = s.tokens[c.query];
    const query = { text: q.text, line: positions[c.query].line + 1, start: q.start, end: q.end };
    if (!weights) return { ok: true, query, tokens: s.tokens.length, highlighted: 0, view: c.view };
    const ranked: Influence[] = rankInfluences(weights, c.query, { limit: RANKED_INFLUENCES });
    const name = viewTitle(c.view, c.layer, s.nHead);
    const top = ranked.slice(0, 3).map((r) => `“${tokenLabel(s.tokens[r.index], 16)}” ${formatWeight(r.weight)}`);
    const short = c.view.kind === 'rollout' ? 'rollout' : c.view.kind === 'mean' ? `layer ${c.layer + 1} mean` : `layer ${c.layer + 1} head ${c.view.head + 1}`;
    const summary = top.length ? `  ← looked at (${short}): ${top.join(' · ')}` : '  ← first token of the window';
    const { highlighted } = this.decorations.show(editor, { tokens: s.tokens, query: c.query, ranked, max: scaleMax(weights, c.query), summary, viewName: name.toLowerCase() });
    const explanation = explain({
      tokens: s.tokens,
      query: c.query,
      line: query.line,
      view: c.view,
      layer: c.layer,
      nLayer: s.nLayer,
      nHead: s.nHead,
      ranked,
      selfWeight: weights[c.query],
      generated: s.generatedFrom >= 0,
      retrieved: s.retrieved,
    });
    return {
      ok: true,
      query,
      ranked: ranked.map((r) => ({ text: s.tokens[r.index].text, weight: r.weight, start: s.tokens[r.index].start, end: s.tokens[r.index].end, line: positions[r.index].line + 1 })),
      highlighted,
      explanation,
      tokens: s.tokens.length,
      view: c.view,
    };
  }

  private async revealToken(index: number): Promise<void> {
    const c = this.current;
    const t = c?.snapshot.tokens[index];
    if (!c || !t || (t.generated && t.start === t.end)) return;
    const editor = this.editorFor(c.uri) ?? (await vscode.window.showTextDocument(vscode.Uri.parse(c.uri)));
    const range = new vscode.Range(editor.document.positionAt(t.start), editor.document.positionAt(t.end));
    const shown = await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, selection: range });
    shown.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private editorFor(uri: string): vscode.TextEditor | undefined {
    return vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
  }

  private cancelInFlight(): void {
    this.inFlight?.cancel();
    this.inFlight = null;
  }

  dispose(): void {
    this.cancelInFlight();
    for (const d of this.disposables) d.dispose();
  }
}
