/**
 * Editor highlights for Explain Attention: the most-attended earlier tokens get a background whose
 * strength follows their weight (DECORATION_LEVELS steps, light and dark variants, a border in high
 * contrast themes), the query token an outline and a one-line summary after it. Hovering a highlight
 * shows its exact weight. Cleared by `clear()` (on edit, Escape via `localGpt.clearAttentionHighlights`,
 * or a new explanation); the context key `localGpt.attentionHighlights` says whether any are shown.
 */
import * as vscode from 'vscode';
import { DECORATION_LEVELS, heatLevel, intensity, levelColours } from '../attention/colour';
import { formatWeight, tokenLabel, type Influence } from '../attention/rank';
import type { AttentionToken } from '../attention/types';

const HIGHLIGHTS_CONTEXT_KEY = 'localGpt.attentionHighlights';

interface HighlightInput {
  tokens: readonly AttentionToken[];
  query: number;
  ranked: readonly Influence[];
  /** Largest weight on an earlier token (the colour scale's 100%). */
  max: number;
  /** Text after the query token, e.g. "attention (rollout): “foo” 23% · “(” 11%". */
  summary: string;
  /** What the weights are, for hovers ("rollout over 2 layers", "layer 2 · head 3"). */
  viewName: string;
}

export class AttentionDecorations implements vscode.Disposable {
  private readonly levels: vscode.TextEditorDecorationType[];
  private readonly queryType: vscode.TextEditorDecorationType;
  /** The one-line summary, at the end of the query token's line (not inside the code). */
  private readonly summaryType: vscode.TextEditorDecorationType;
  private shownIn: vscode.TextEditor | null = null;
  /** Ranges highlighted now (query outline not counted). */
  highlighted = 0;

  constructor() {
    this.levels = Array.from({ length: DECORATION_LEVELS }, (_, i) => {
      const c = levelColours(i + 1);
      return vscode.window.createTextEditorDecorationType({
        borderRadius: '2px',
        light: { backgroundColor: c.light },
        dark: { backgroundColor: c.dark },
        // High contrast themes define contrastBorder; other themes leave it empty (no border).
        borderWidth: '1px',
        borderStyle: 'solid',
        borderColor: new vscode.ThemeColor('contrastBorder'),
        overviewRulerColor: c.dark,
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      });
    });
    this.queryType = vscode.window.createTextEditorDecorationType({
      outlineWidth: '1px',
      outlineStyle: 'solid',
      outlineColor: new vscode.ThemeColor('focusBorder'),
      borderRadius: '2px',
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.summaryType = vscode.window.createTextEditorDecorationType({
      after: {
        color: new vscode.ThemeColor('editorCodeLens.foreground'),
        fontStyle: 'italic',
        margin: '0 0 0 2em',
      },
    });
  }

  /** The editor showing highlights, if any. */
  get editor(): vscode.TextEditor | null {
    return this.shownIn;
  }

  show(editor: vscode.TextEditor, input: HighlightInput): { highlighted: number } {
    this.clear();
    const doc = editor.document;
    const byLevel: vscode.DecorationOptions[][] = this.levels.map(() => []);
    let highlighted = 0;
    for (const r of input.ranked) {
      const t = input.tokens[r.index];
      if (t.generated && t.start === t.end) continue; // ghost text: not in the document
      const level = heatLevel(intensity(r.weight, input.max));
      if (level === 0) continue;
      const hover = new vscode.MarkdownString();
      hover.appendMarkdown(`**Attention ${formatWeight(r.weight)}** (rank ${r.rank}) from `);
      hover.appendText(`“${tokenLabel(input.tokens[input.query])}”`); // document text: escaped, never Markdown
      hover.appendMarkdown(` — ${input.viewName}. `);
      hover.appendMarkdown('Attention shows where the model looked, not a full explanation of its output.');
      const range = this.rangeOf(doc, t);
      byLevel[level - 1].push({ range, hoverMessage: hover });
      highlighted++;
    }
    this.levels.forEach((type, i) => editor.setDecorations(type, byLevel[i]));
    const q = input.tokens[input.query];
    const queryRange = this.rangeOf(doc, q);
    editor.setDecorations(this.queryType, [{ range: queryRange }]);
    const lineEnd = doc.lineAt(queryRange.start.line).range.end;
    editor.setDecorations(this.summaryType, [{ range: new vscode.Range(lineEnd, lineEnd), renderOptions: { after: { contentText: input.summary } } }]);
    this.shownIn = editor;
    this.highlighted = highlighted;
    void vscode.commands.executeCommand('setContext', HIGHLIGHTS_CONTEXT_KEY, true);
    return { highlighted };
  }

  private rangeOf(doc: vscode.TextDocument, t: AttentionToken): vscode.Range {
    const start = doc.positionAt(t.start);
    const end = doc.positionAt(Math.max(t.end, t.start));
    return new vscode.Range(start, end);
  }

  clear(): void {
    const editor = this.shownIn;
    this.shownIn = null;
    this.highlighted = 0;
    if (editor) {
      for (const type of this.levels) editor.setDecorations(type, []);
      editor.setDecorations(this.queryType, []);
      editor.setDecorations(this.summaryType, []);
    }
    void vscode.commands.executeCommand('setContext', HIGHLIGHTS_CONTEXT_KEY, false);
  }

  dispose(): void {
    this.clear();
    for (const type of this.levels) type.dispose();
    this.queryType.dispose();
    this.summaryType.dispose();
  }
}
