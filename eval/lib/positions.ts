/**
 * Positions an editor has, cut out of held-out files: what the buffer holds when the cursor is there
 * (the text the user has not typed yet removed) and what the user went on to type (the target).
 *
 * - freshLine: after Enter, at the line's indentation; the line's text removed, the lines after it kept.
 * - afterFirstWord: the line typed up to its first word (identifier, number or one punctuation character).
 * - midIdentifier: the line typed up to the middle of an identifier (4+ characters).
 * - afterDot: the line typed up to a member access `x.` (the member not typed yet).
 * - blockBody: an empty function or block body: after `{` and Enter, the body removed, the closing
 *   line kept (as an editor's auto-closing leaves it); the target is the whole body (multi-line).
 *
 * For the mid-line kinds the rest of the line is removed too (it is not typed yet) and comment lines
 * are skipped. Candidates are light (file, line, column) so every line of a large package can be one;
 * `materialize` builds the buffer of the few that are sampled.
 */
import { createRng } from '../../src/engine/sampling';

export const POSITION_KINDS = ['freshLine', 'afterFirstWord', 'midIdentifier', 'afterDot', 'blockBody'] as const;
export type PositionKind = (typeof POSITION_KINDS)[number];

/** Kinds whose target spans several lines. */
export const MULTILINE_KINDS: ReadonlySet<PositionKind> = new Set(['blockBody']);

export interface ValFile {
  package: string;
  path: string;
  text: string;
}

interface Candidate {
  kind: PositionKind;
  /** Index into the file list. */
  file: number;
  /** 0-based line of the cursor in the original file. */
  line: number;
  /** 0-based column of the cursor (for blockBody: the body's indentation width). */
  column: number;
  /** blockBody: 0-based line of the closing `}` in the original file. */
  end?: number;
}

export interface EvalPosition {
  kind: PositionKind;
  package: string;
  path: string;
  /** The buffer at the cursor. */
  text: string;
  /** 1-based cursor line and column in `text`. */
  line: number;
  column: number;
  /** What the user typed from the cursor (trailing whitespace of each line removed). */
  target: string;
  /** The whole original line the target's first line belongs to, trimmed (for the copy oracle). */
  targetLine: string;
}

/** Longest line considered (minified or generated code is not what an editor sees typed). */
const MAX_LINE_LENGTH = 200;
/** A block body of at most this many lines. */
const MAX_BODY_LINES = 12;

const FIRST_WORD = /^(\s*)([A-Za-z_$][\w$]*|\d+|\S)(.*)$/;
const IDENTIFIER = /[A-Za-z_$][\w$]*/g;
const isComment = (trimmed: string) => trimmed.startsWith('//') || trimmed.startsWith('/*') || trimmed.startsWith('*');
const indentOf = (line: string) => /^[ \t]*/.exec(line)![0];

/** Every candidate position of every kind in `text` (file index `file`). */
export function candidatesIn(text: string, file: number): Candidate[] {
  const lines = text.split('\n');
  const out: Candidate[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > MAX_LINE_LENGTH) continue;
    const indent = indentOf(line);
    const content = line.slice(indent.length).trimEnd();
    if (content === '') continue;
    // A fresh line worth predicting has a word in it (a lone `}` is typed by the editor's auto-close).
    if (/[\w$]{2}/.test(content)) out.push({ kind: 'freshLine', file, line: i, column: indent.length });
    if (isComment(content)) continue;
    const m = FIRST_WORD.exec(line);
    if (m && m[3].trim() !== '') out.push({ kind: 'afterFirstWord', file, line: i, column: m[1].length + m[2].length });
    for (const id of line.matchAll(IDENTIFIER)) {
      if (id[0].length >= 4 && id.index! >= indent.length) {
        out.push({ kind: 'midIdentifier', file, line: i, column: id.index! + Math.floor(id[0].length / 2) });
      }
    }
    for (let c = indent.length + 1; c < line.length; c++) {
      if (line[c - 1] === '.' && /[\w$)\]]/.test(line[c - 2] ?? '') && /[A-Za-z_$]/.test(line[c])) out.push({ kind: 'afterDot', file, line: i, column: c });
    }
    if (content.endsWith('{')) {
      const end = blockEnd(lines, i);
      if (end !== null) out.push({ kind: 'blockBody', file, line: i + 1, column: indentOf(lines[i + 1]).length, end });
    }
  }
  return out;
}

/** The line of the `}` that closes the block opened at the end of line `open`, when its body is a plain 1..MAX_BODY_LINES-line body. */
function blockEnd(lines: readonly string[], open: number): number | null {
  const outer = indentOf(lines[open]).length;
  const first = lines[open + 1];
  if (first === undefined || first.trim() === '' || indentOf(first).length <= outer) return null;
  for (let j = open + 1; j < lines.length && j <= open + MAX_BODY_LINES + 1; j++) {
    const l = lines[j];
    if (l.trim() === '') continue;
    if (indentOf(l).length > outer) continue;
    return indentOf(l).length === outer && l.trim().startsWith('}') && j > open + 1 ? j : null;
  }
  return null;
}

/** The buffer, cursor and target of one candidate. */
export function materialize(c: Candidate, file: ValFile): EvalPosition {
  const lines = file.text.split('\n');
  const base = { kind: c.kind, package: file.package, path: file.path };
  if (c.kind === 'blockBody') {
    const body = lines.slice(c.line, c.end);
    const indent = indentOf(body[0]);
    const text = [...lines.slice(0, c.line), indent, ...lines.slice(c.end)].join('\n');
    const target = [body[0].slice(indent.length), ...body.slice(1)].map((l) => l.trimEnd()).join('\n');
    return { ...base, text, line: c.line + 1, column: indent.length + 1, target, targetLine: body[0].trim() };
  }
  const original = lines[c.line];
  const typed = original.slice(0, c.column);
  const text = [...lines.slice(0, c.line), typed, ...lines.slice(c.line + 1)].join('\n');
  return { ...base, text, line: c.line + 1, column: c.column + 1, target: original.slice(c.column).trimEnd(), targetLine: original.trim() };
}

/**
 * `perKind` candidates of each kind, chosen with a seeded generator and spread over packages: each
 * package's candidates are shuffled, then packages (in name order) give one each in turn. The same
 * files, seed and counts always give the same positions, in a fixed order (package, file, line).
 */
export function samplePositions(files: readonly ValFile[], perKind: number, seed: number, kinds: readonly PositionKind[] = POSITION_KINDS): EvalPosition[] {
  const byKind = new Map<PositionKind, Map<string, Candidate[]>>(kinds.map((k) => [k, new Map()]));
  for (const [index, f] of files.entries()) {
    for (const c of candidatesIn(f.text, index)) {
      const packages = byKind.get(c.kind);
      if (!packages) continue;
      const list = packages.get(f.package) ?? [];
      list.push(c);
      packages.set(f.package, list);
    }
  }
  const chosen: Candidate[] = [];
  for (const kind of kinds) {
    const rng = createRng(seed ^ hashString(kind));
    const queues = [...byKind.get(kind)!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, list]) => shuffle(list, rng));
    let taken = 0;
    for (let round = 0; taken < perKind && queues.some((q) => round < q.length); round++) {
      for (const q of queues) {
        if (round < q.length && taken < perKind) {
          chosen.push(q[round]);
          taken++;
        }
      }
    }
  }
  chosen.sort((a, b) => a.file - b.file || a.line - b.line || a.column - b.column || POSITION_KINDS.indexOf(a.kind) - POSITION_KINDS.indexOf(b.kind));
  return chosen.map((c) => materialize(c, files[c.file]));
}

function shuffle<T>(items: readonly T[], rng: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
