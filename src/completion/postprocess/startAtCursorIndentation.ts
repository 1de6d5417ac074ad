import type { PostContext } from './stage';
import { indentWidth, isBlank } from './text';

/**
 * On a line that holds only indentation up to the cursor (a fresh line after Enter), the completion
 * starts with text, at the cursor: its first line's leading whitespace goes (in multi-line mode,
 * leading blank lines too), and the lines after it lose the same width, so the block keeps its shape.
 *
 * Why: VS Code binds Tab to "accept" only while the ghost text, when it starts inside the line's
 * indentation, begins with less whitespace than one tab stop (`inlineSuggestionHasIndentationLessThanTabSize`);
 * otherwise Tab indents the line and the suggestion is lost. The editor has already indented the
 * fresh line for its block, so the model's extra indentation there is rarely what the user wants.
 */
export function startAtCursorIndentation(text: string, context: PostContext): string {
  if (!isBlank(context.linePrefix)) return text;
  const lines = text.split('\n');
  const first = context.multiline ? lines.findIndex((l) => !isBlank(l)) : 0;
  if (first < 0) return text;
  // Absolute indentation the model gave its first line of text: on the cursor's line it starts after the line prefix.
  const modelIndent = indentWidth(lines[first]) + (first === 0 ? indentWidth(context.linePrefix) : 0);
  const shift = modelIndent - indentWidth(context.linePrefix);
  const rest = lines.slice(first + 1).map((l) => (shift > 0 ? dedent(l, shift) : l));
  return [lines[first].trimStart(), ...rest].join('\n');
}

/** `line` without up to `width` columns of its leading whitespace (a tab is one stop, never split). */
function dedent(line: string, width: number): string {
  let removed = 0;
  let i = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) {
    const w = indentWidth(line[i]);
    if (removed + w > width) break;
    removed += w;
    i++;
  }
  return line.slice(i);
}
