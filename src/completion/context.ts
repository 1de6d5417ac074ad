/**
 * The context stage of the completion pipeline (pipeline.ts lists the stages in order): the text
 * around the cursor that goes into the prompt.
 *
 * The prefix window ends at the cursor and starts at a line start, within a token budget (estimated
 * from characters: the tokenizer lives in the worker, which cuts exactly if the estimate was short).
 * Its start line is kept stable while the user types (`previousStartLine`), so consecutive prompts
 * share their beginning and the worker can reuse its KV cache; a fresh start leaves a quarter of
 * the budget free for that. The suffix window starts at the cursor and ends at a line end.
 */

/**
 * Read access to a document's text that never needs all of it: the completion provider wraps a VS Code
 * `TextDocument` (reads are O(window) there), tests wrap a string with `stringText`.
 */
export interface DocumentText {
  /** Length, UTF-16 code units. */
  readonly length: number;
  /** The characters [start, end) (clamped to the document). */
  slice(start: number, end: number): string;
  /** 0-based line of `offset` (a line ends at '\n'; CRLF counts as one break). */
  lineAt(offset: number): number;
}

export interface DocumentSnapshot {
  /** The document text, whole or behind an accessor (only a window around the cursor is read). */
  text: string | DocumentText;
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

/**
 * The current line's parts (`linePrefix`, `lineSuffix`) are cut to this many characters next to the cursor
 * when the line is longer (minified code, a 100k-character line): what the post-processing rules look at is
 * near the cursor, and reading a whole 20 MB line per keystroke would stall the editor.
 */
export const MAX_LINE_CHARS = 4096;

/** Characters read after the current line for `nextLines`. */
const NEXT_LINES_CHARS = NEXT_LINES * 200;

/** A string as `DocumentText` (`lineAt` counts the line breaks before the offset). */
export function stringText(text: string): DocumentText {
  return {
    length: text.length,
    slice: (start, end) => text.slice(start, end),
    lineAt(offset) {
      let line = 0;
      for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
      return line;
    },
  };
}

/**
 * The context with its prefix cut to at most `maxChars` by whole lines from its start (the cursor's
 * line stays whole, or cut inside when it alone is longer). Reads nothing more of the document: the
 * room that text placed before the prefix (retrieved snippets) takes comes out of a window already read.
 */
export function shortenPrefix(context: CompletionContext, maxChars: number): CompletionContext {
  const { prefix } = context;
  if (prefix.length <= maxChars) return context;
  const limit = prefix.length - Math.max(0, maxChars);
  // The next line start at or after the limit; none (the limit is inside the cursor's line): cut there.
  const lineBreak = prefix[limit - 1] === '\n' ? limit - 1 : prefix.indexOf('\n', limit);
  const start = lineBreak >= 0 ? lineBreak + 1 : limit;
  let dropped = 0;
  for (let i = prefix.indexOf('\n'); i >= 0 && i < start; i = prefix.indexOf('\n', i + 1)) dropped++;
  return { ...context, prefix: prefix.slice(start), prefixStartLine: context.prefixStartLine + dropped };
}

/**
 * Gathers the context for one completion. Reads only a window around the cursor: at most
 * max(prefix budget, MAX_LINE_CHARS) + 1 characters before it and about suffix budget + MAX_LINE_CHARS +
 * NEXT_LINES_CHARS after it, plus one `lineAt` call, whatever the document's size.
 */
export function gatherContext(doc: DocumentSnapshot, budget: ContextBudget, previousStartLine?: number): CompletionContext {
  const source = typeof doc.text === 'string' ? stringText(doc.text) : doc.text;
  const length = source.length;
  const offset = Math.max(0, Math.min(doc.offset, length));
  const maxPrefixChars = Math.max(1, Math.floor(budget.prefixTokens * budget.charsPerToken));

  // Before the cursor: one character more than the window, so we know whether the window's first
  // character starts a line.
  const readStart = Math.max(0, offset - Math.max(maxPrefixChars, MAX_LINE_CHARS) - 1);
  const before = source.slice(readStart, offset);
  /** Offsets of the line starts in (readStart, offset], ascending (plus 0 when the read starts the document). */
  const starts: number[] = readStart === 0 ? [0] : [];
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) starts.push(readStart + i + 1);
  const cursorLine = source.lineAt(offset);
  /** Line number of starts[i]: the last one is the cursor's line (when its start was read at all). */
  const cursorLineStart = starts.length > 0 ? starts[starts.length - 1] : -1;
  const lineOfStart = (i: number) => cursorLine - (starts.length - 1 - i);
  /** Start offset of `line`, or -1 when it lies before the read (then it is farther than the budget). */
  const startOfLine = (line: number) => {
    if (cursorLineStart < 0) return -1;
    const i = starts.length - 1 - (cursorLine - line);
    return i >= 0 && i < starts.length ? starts[i] : -1;
  };

  let startLine: number;
  const previousStart = previousStartLine !== undefined && previousStartLine <= cursorLine ? startOfLine(previousStartLine) : -1;
  if (previousStart >= 0 && offset - previousStart <= maxPrefixChars) {
    startLine = previousStartLine!;
  } else {
    // A fresh start: the earliest line whose start is within the filled share of the budget (the cursor's line at worst).
    const fill = Math.floor(maxPrefixChars * FRESH_START_FILL);
    startLine = cursorLine;
    for (let i = starts.length - 2; i >= 0 && cursorLineStart >= 0 && offset - starts[i] <= fill; i--) startLine = lineOfStart(i);
  }
  // One line longer than the whole budget (minified code): cut inside it.
  const prefixStart = Math.max(startOfLine(startLine), offset - maxPrefixChars);

  // After the cursor: the rest of the current line (up to MAX_LINE_CHARS), then the next lines.
  const ahead = source.slice(offset, offset + MAX_LINE_CHARS + 1);
  const lineBreak = ahead.indexOf('\n');
  const lineSuffix = (lineBreak < 0 ? ahead.slice(0, MAX_LINE_CHARS) : ahead.slice(0, lineBreak)).replace(/\r$/, '');
  const nextLines =
    lineBreak < 0
      ? [] // the last line, or one too long to find its end: no next lines
      : source
          .slice(offset + lineBreak + 1, offset + lineBreak + 1 + NEXT_LINES_CHARS)
          .split('\n')
          .slice(0, NEXT_LINES)
          .map((l) => l.replace(/\r$/, ''));

  const maxSuffixChars = Math.floor(budget.suffixTokens * budget.charsPerToken);
  let suffix = '';
  if (maxSuffixChars > 0) {
    suffix = source.slice(offset, offset + maxSuffixChars);
    if (offset + maxSuffixChars < length) {
      const lastBreak = suffix.lastIndexOf('\n');
      if (lastBreak > 0) suffix = suffix.slice(0, lastBreak);
    }
  }
  const linePrefix = before.slice(cursorLineStart >= 0 ? cursorLineStart - readStart : 0);
  return {
    languageId: doc.languageId,
    relativePath: doc.relativePath,
    prefix: before.slice(prefixStart - readStart),
    suffix,
    linePrefix: linePrefix.length > MAX_LINE_CHARS ? linePrefix.slice(-MAX_LINE_CHARS) : linePrefix,
    lineSuffix,
    nextLines,
    prefixStartLine: startLine,
  };
}
