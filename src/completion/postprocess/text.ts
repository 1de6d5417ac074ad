/** Small string helpers shared by the post-processing stages. */

const TAB_WIDTH = 4;

/** Width of the leading whitespace (a tab counts TAB_WIDTH). */
export function indentWidth(line: string): number {
  let width = 0;
  for (const ch of line) {
    if (ch === ' ') width++;
    else if (ch === '\t') width += TAB_WIDTH;
    else break;
  }
  return width;
}

export const isBlank = (s: string): boolean => s.trim() === '';

export const OPENERS = '([{';
export const CLOSERS = ')]}';

/** The cursor sits right after an opening bracket (trailing spaces allowed). */
export const endsWithOpener = (linePrefix: string): boolean => /[([{]\s*$/.test(linePrefix);

/**
 * Walks `text` calling `visit(i, ch)` for each bracket outside string literals ('…', "…", `…`).
 * Strings are tracked per line for ' and " (an unterminated one ends at the newline).
 */
export function forEachBracket(text: string, visit: (index: number, ch: string) => boolean | void): void {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote || (ch === '\n' && quote !== '`')) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if ((OPENERS.includes(ch) || CLOSERS.includes(ch)) && visit(i, ch) === false) return;
  }
}
