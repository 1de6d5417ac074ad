import { isTrivialShape, lineShape } from './lineShape';
import type { PostContext } from './stage';
import { indentWidth } from './text';

/**
 * No suggestion repeats itself: the completion ends before its first line whose shape (see
 * `lineShape`) an earlier line of it at the same indentation already had, and a first line that
 * makes the cursor's line a copy of the line right above it (indentation included) is dropped: a
 * model that writes the previous statement again is looping, not completing. Lines of brackets
 * alone never count. Lines further up are not compared: copying a line of another function into a
 * new one is often what the user wants, and a run of similar statements (`import …`, `case …:`) is
 * common and the user is often writing the next one.
 */
export function stopAtRepetition(text: string, context: PostContext): string {
  const lines = text.split('\n');
  const above = context.linesAbove.at(-1);
  const firstLine = context.linePrefix + lines[0];
  if (above !== undefined && !isTrivialShape(lineShape(above)) && firstLine.trimEnd() === above.trimEnd()) return '';
  const shapes = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    // The first line continues the cursor's line: it is compared as the whole line.
    const line = i === 0 ? firstLine : lines[i];
    const shape = lineShape(line);
    if (isTrivialShape(shape)) continue;
    // Indentation is part of the key: `if (a) {` nested in `if (b) {` is structure, not a loop.
    // A line of literals alone (`2,` after `1,`) is data; only its exact copy is a repeat.
    const key = `${indentWidth(line)}:${shape.includes('a') ? shape : line.trim()}`;
    if (shapes.has(key)) return lines.slice(0, i).join('\n');
    shapes.add(key);
  }
  return text;
}

/** Non-blank lines looked at above the cursor's line. */
const LINES_ABOVE = 1;

/** The last `LINES_ABOVE` non-blank lines of `prefix` before the cursor's line, nearest last. */
export function linesAbove(prefix: string): string[] {
  const lines = prefix.split('\n');
  lines.pop(); // the cursor's line
  const out: string[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < LINES_ABOVE; i--) if (lines[i].trim() !== '') out.unshift(lines[i]);
  return out;
}
