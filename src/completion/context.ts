/**
 * Stage 1 of the completion pipeline: the text around the cursor that goes into the prompt.
 *
 * The prefix window ends at the cursor and starts at a line start, within a token budget (estimated
 * from characters: the tokenizer lives in the worker, which cuts exactly if the estimate was short).
 * Its start line is kept stable while the user types (`previousStartLine`), so consecutive prompts
 * share their beginning and the worker can reuse its KV cache; a fresh start leaves a quarter of
 * the budget free for that. The suffix window starts at the cursor and ends at a line end.
 */

export interface DocumentSnapshot {
  /** Full document text. */
  text: string;
  /** Cursor offset into `text` (UTF-16 code units). */
  offset: number;
  /** VS Code language id, e.g. `typescript`. */
  languageId: string;
  /** Path relative to the workspace folder, with `/` separators (or the file name). */
  relativePath: string;
}

export interface ContextBudget {
  prefixTokens: number;
  suffixTokens: number;
  /** Characters per token for the estimate (code with a byte-level BPE: about 3). */
  charsPerToken: number;
}

export interface CompletionContext {
  languageId: string;
  relativePath: string;
  /** Text of the window before the cursor; starts at a line start (unless one line is over budget). */
  prefix: string;
  /** Text of the window after the cursor; ends at a line end. */
  suffix: string;
  /** Current line up to the cursor. */
  linePrefix: string;
  /** Current line after the cursor. */
  lineSuffix: string;
  /** Up to `NEXT_LINES` document lines after the current one (for post-processing, whatever the suffix budget). */
  nextLines: string[];
  /** Line number (0-based) where the prefix window starts; pass it back as `previousStartLine`. */
  prefixStartLine: number;
}

/** Share of the budget left free when the window start is chosen afresh. */
export const FRESH_START_FILL = 0.75;

/** Lines after the cursor's line kept in `nextLines`. */
export const NEXT_LINES = 8;

/** Offsets where each line starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The earliest line whose start is within `maxChars` of the cursor (the cursor's line at worst). */
function freshStartLine(starts: readonly number[], cursorLine: number, offset: number, maxChars: number): number {
  let line = cursorLine;
  while (line > 0 && offset - starts[line - 1] <= maxChars) line--;
  return line;
}

export function gatherContext(doc: DocumentSnapshot, budget: ContextBudget, previousStartLine?: number): CompletionContext {
  const { text } = doc;
  const offset = Math.max(0, Math.min(doc.offset, text.length));
  const starts = lineStarts(text);
  const cursorLine = lineOf(starts, offset);
  const maxPrefixChars = Math.max(1, Math.floor(budget.prefixTokens * budget.charsPerToken));

  let startLine: number;
  if (previousStartLine !== undefined && previousStartLine <= cursorLine && offset - starts[previousStartLine] <= maxPrefixChars) {
    startLine = previousStartLine;
  } else {
    startLine = freshStartLine(starts, cursorLine, offset, Math.floor(maxPrefixChars * FRESH_START_FILL));
  }
  // One line longer than the whole budget (minified code): cut inside it.
  const prefixStart = Math.max(starts[startLine], offset - maxPrefixChars);

  const lineEnd = text.indexOf('\n', offset);
  const currentLineEnd = lineEnd < 0 ? text.length : lineEnd;
  const maxSuffixChars = Math.floor(budget.suffixTokens * budget.charsPerToken);
  let suffix = '';
  if (maxSuffixChars > 0) {
    suffix = text.slice(offset, offset + maxSuffixChars);
    if (offset + maxSuffixChars < text.length) {
      const lastBreak = suffix.lastIndexOf('\n');
      if (lastBreak > 0) suffix = suffix.slice(0, lastBreak);
    }
  }
  return {
    languageId: doc.languageId,
    relativePath: doc.relativePath,
    prefix: text.slice(prefixStart, offset),
    suffix,
    linePrefix: text.slice(starts[cursorLine], offset),
    lineSuffix: text.slice(offset, currentLineEnd).replace(/\r$/, ''),
    nextLines: text
      .slice(currentLineEnd + 1, currentLineEnd + 1 + NEXT_LINES * 200)
      .split('\n')
      .slice(0, lineEnd < 0 ? 0 : NEXT_LINES)
      .map((l) => l.replace(/\r$/, '')),
    prefixStartLine: startLine,
  };
}
