/**
 * Would VS Code's Tab accept this ghost text as shown? Tab is bound to "accept inline suggestion" only
 * while `inlineSuggestionHasIndentationLessThanTabSize` holds: when the cursor is inside the line's
 * indentation (everything before it is whitespace) and the ghost text's first line starts with
 * whitespace at least one tab stop wide, Tab indents the line instead and the suggestion is lost.
 * A ghost text whose first line is empty (it starts with a line break) or starts with text is accepted.
 */
export function tabAcceptsAsShown(linePrefix: string, ghostText: string, tabSize: number): boolean {
  if (!/^[ \t]*$/.test(linePrefix)) return true;
  const firstLine = ghostText.split('\n', 1)[0].replace(/\r$/, '');
  if (firstLine === '') return true;
  return leadingWidth(firstLine, tabSize) < tabSize;
}

/** Columns of leading whitespace; a tab counts as a full tab stop. */
function leadingWidth(line: string, tabSize: number): number {
  let width = 0;
  for (const c of line) {
    if (c === ' ') width++;
    else if (c === '\t') width += tabSize - (width % tabSize);
    else break;
  }
  return width;
}
