/**
 * The input of `npm run complete -- --batch POSITIONS.jsonl`: one JSON object per line,
 * `{"file": PATH, "line": L, "column": C, "text"?: BUFFER}` (1-based line and column; PATH absolute
 * or relative to the workspace). `text`, when present, is the editor's buffer: the completion is
 * made in it and the file on disk only names the document (its language, its place in the
 * workspace). Blank lines are skipped; a bad line is an error naming its line number.
 */

export interface BatchPosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units like VS Code's. */
  column: number;
  /** The document's buffer; absent: the file's text on disk. */
  text?: string;
}

/** One output line; `reason` says why `completion` is null (nothing to show). */
export interface BatchResult {
  file: string;
  line: number;
  column: number;
  completion: string | null;
  latencyMs: number;
  reason?: string;
}

const FIELDS = new Set(['file', 'line', 'column', 'text']);

/** Parses the whole input; `source` names it in errors (`positions.jsonl:3: ...`). */
export function parseBatchPositions(input: string, source: string): BatchPosition[] {
  const out: BatchPosition[] = [];
  const lines = input.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    out.push(parsePositionLine(raw, `${source}:${i + 1}`));
  }
  if (out.length === 0) throw new Error(`${source}: no positions (expected one JSON object per line: {"file", "line", "column"})`);
  return out;
}

function parsePositionLine(raw: string, where: string): BatchPosition {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object {"file", "line", "column"}`);
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) throw new Error(`${where}: unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (fields: file, line, column, text)`);
  if (typeof v.file !== 'string' || v.file === '') throw new Error(`${where}: "file" must be a non-empty string`);
  for (const k of ['line', 'column'] as const) {
    if (typeof v[k] !== 'number' || !Number.isInteger(v[k]) || (v[k] as number) < 1) throw new Error(`${where}: "${k}" must be an integer >= 1 (1-based), got ${JSON.stringify(v[k])}`);
  }
  if (v.text !== undefined && typeof v.text !== 'string') throw new Error(`${where}: "text" must be a string (the document's buffer)`);
  const position: BatchPosition = { file: v.file, line: v.line as number, column: v.column as number };
  if (v.text !== undefined) position.text = v.text as string;
  return position;
}

/**
 * Offset of a 1-based line and column in `text` (a line ends at '\n'; a '\r' before it is not a
 * column). Throws naming `where` when the position is outside the document.
 */
export function offsetOfPosition(text: string, line: number, column: number, where: string): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) throw new Error(`${where}: line ${line} is outside 1..${l}`);
    start = nl + 1;
  }
  const nl = text.indexOf('\n', start);
  const lineText = (nl < 0 ? text.slice(start) : text.slice(start, nl)).replace(/\r$/, '');
  if (column > lineText.length + 1) throw new Error(`${where}: column ${column} is outside 1..${lineText.length + 1} of line ${line}`);
  return start + column - 1;
}
