/**
 * Scores of one evaluated position and their summary per position kind: first-line exact match and
 * edit similarity (as `npm run eval`: 1 - Levenshtein / longer length, trailing whitespace removed),
 * the whole-suggestion similarity for multi-line kinds, the empty rate, the repetition rate and the
 * share Tab accepts as shown (of the suggestions shown), latency percentiles, and the copy oracle.
 */
import { median, quantileSorted } from '../../bench/lib/stats';
import { tabAcceptsAsShown } from '../../src/completion/tabAcceptance';
import { editSimilarity } from '../../training/trainer/lineCompletion';
import { MULTILINE_KINDS, type EvalPosition, type PositionKind, type ValFile } from './positions';

export interface ScoredPosition {
  kind: PositionKind;
  file: string;
  line: number;
  column: number;
  target: string;
  completion: string | null;
  reason?: string;
  latencyMs: number;
  exact: boolean;
  editSim: number;
  /** Multi-line kinds: similarity of the whole suggestion to the whole target. */
  fullEditSim?: number;
  repeats: boolean;
  tabAccepts: boolean;
}

export interface KindSummary {
  kind: PositionKind;
  positions: number;
  exact: number;
  editSim: number;
  fullEditSim: number | null;
  empty: number;
  /** Of the suggestions shown (null when none was shown). */
  repetition: number | null;
  tabAcceptable: number | null;
  latencyP50: number;
  latencyP95: number;
}

export interface OracleSummary {
  kind: PositionKind;
  positions: number;
  /** Share of target lines present verbatim (trimmed) earlier in the same file. */
  earlierInFile: number;
  /** ... in another file of the workspace (the rest of the package). */
  otherWorkspaceFile: number;
}

const firstLine = (s: string) => s.split('\n', 1)[0].trimEnd();
const trimLines = (s: string) => s.split('\n').map((l) => l.trimEnd()).join('\n').trimEnd();

/** A string literal, a number or an identifier, in one pass. */
const ABSTRACTED = /(["'`])(?:\\.|(?!\1)[^\\])*\1|\d[\w.]*|[A-Za-z_$][\w$]*/g;

/** `cx: number;` -> `a: a;`: the line with identifiers, numbers and strings abstracted, spaces collapsed. */
export function lineShape(line: string): string {
  return line
    .trim()
    .replace(ABSTRACTED, (m) => (/^["'`]/.test(m) ? '""' : /^\d/.test(m) ? '0' : 'a'))
    .replace(/\s+/g, ' ');
}

/**
 * Does the suggestion repeat a line or a line shape? Two of its lines (the first taken as the whole
 * cursor line) with one shape, or a line of it equal to the non-blank line just above the cursor.
 * Lines of brackets and punctuation alone (`}`, `});`) never count: good code repeats them.
 */
export function repeatsItself(completion: string, linePrefix: string, lineAbove: string): boolean {
  const lines = completion.split('\n');
  lines[0] = linePrefix + lines[0];
  const meaningful = (l: string) => /[\w$"'`]/.test(l);
  const shapes = new Set<string>();
  for (const line of lines) {
    if (!meaningful(line)) continue;
    if (line.trim() === lineAbove.trim()) return true;
    const shape = lineShape(line);
    if (shapes.has(shape)) return true;
    shapes.add(shape);
  }
  return false;
}

/** The indentation unit of a file (its smallest indentation in spaces; a tab-indented file: 4), VS Code's detected tab size. */
export function detectTabSize(text: string): number {
  let unit = Infinity;
  for (const m of text.matchAll(/^( +)\S/gm)) unit = Math.min(unit, m[1].length);
  return Number.isFinite(unit) && unit <= 8 ? unit : 4;
}

export function scorePosition(p: EvalPosition, completion: string | null, latencyMs: number, reason?: string): ScoredPosition {
  const lines = p.text.split('\n');
  const linePrefix = lines[p.line - 1].slice(0, p.column - 1);
  let above = '';
  for (let i = p.line - 2; i >= 0 && above === ''; i--) above = lines[i].trim();
  const shown = completion ?? '';
  const scored: ScoredPosition = {
    kind: p.kind,
    file: `${p.package}/${p.path}`,
    line: p.line,
    column: p.column,
    target: p.target,
    completion,
    latencyMs,
    exact: completion !== null && firstLine(shown) === firstLine(p.target),
    editSim: editSimilarity(firstLine(shown), firstLine(p.target)),
    repeats: completion !== null && repeatsItself(shown, linePrefix, above),
    tabAccepts: completion !== null && tabAcceptsAsShown(linePrefix, shown, detectTabSize(p.text)),
  };
  if (reason !== undefined) scored.reason = reason;
  if (MULTILINE_KINDS.has(p.kind)) scored.fullEditSim = editSimilarity(trimLines(shown), trimLines(p.target));
  return scored;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const share = (xs: readonly boolean[]) => mean(xs.map((x) => (x ? 1 : 0)));

export function summarizeKind(kind: PositionKind, scored: readonly ScoredPosition[]): KindSummary {
  const mine = scored.filter((s) => s.kind === kind);
  if (mine.length === 0) throw new Error(`no positions of kind ${kind}`);
  const shown = mine.filter((s) => s.completion !== null);
  const latencies = mine.map((s) => s.latencyMs).sort((a, b) => a - b);
  return {
    kind,
    positions: mine.length,
    exact: share(mine.map((s) => s.exact)),
    editSim: mean(mine.map((s) => s.editSim)),
    fullEditSim: MULTILINE_KINDS.has(kind) ? mean(mine.map((s) => s.fullEditSim ?? 0)) : null,
    empty: share(mine.map((s) => s.completion === null)),
    repetition: shown.length ? share(shown.map((s) => s.repeats)) : null,
    tabAcceptable: shown.length ? share(shown.map((s) => s.tabAccepts)) : null,
    latencyP50: median(latencies),
    latencyP95: quantileSorted(latencies, 0.95),
  };
}

/**
 * The copy oracle: how often the target line is already on the screen (earlier in the file) or in
 * the workspace (another file of the same package), verbatim after trimming. An upper bound of what
 * copying can win; near-duplicate files were already dropped by the corpus deduplication.
 */
export function copyOracle(kind: PositionKind, positions: readonly EvalPosition[], files: readonly ValFile[]): OracleSummary {
  const mine = positions.filter((p) => p.kind === kind);
  const linesByPackage = new Map<string, Map<string, Set<string>>>(); // package -> trimmed line -> paths holding it
  for (const f of files) {
    const lines = linesByPackage.get(f.package) ?? new Map<string, Set<string>>();
    for (const l of f.text.split('\n')) {
      const t = l.trim();
      if (t === '') continue;
      const paths = lines.get(t) ?? new Set<string>();
      paths.add(f.path);
      lines.set(t, paths);
    }
    linesByPackage.set(f.package, lines);
  }
  const earlier = mine.map((p) => p.text.split('\n').slice(0, p.line - 1).some((l) => l.trim() === p.targetLine));
  const elsewhere = mine.map((p) => [...(linesByPackage.get(p.package)?.get(p.targetLine) ?? [])].some((path) => path !== p.path));
  return { kind, positions: mine.length, earlierInFile: share(earlier), otherWorkspaceFile: share(elsewhere) };
}
