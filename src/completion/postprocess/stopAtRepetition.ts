import { isTrivialShape, lineShape } from './lineShape';
import type { PostContext } from './stage';
import { indentWidth } from './text';

/**
 * No suggestion repeats itself: the completion ends before its first line whose shape (see
 * `lineShape`) an earlier line of it at the same indentation already had, and before a line that is, verbatim, one of the
 * lines just above the cursor (a model that copies the line above is looping, not completing).
 * Lines of brackets alone never count. Shapes above the cursor are not compared: a run of similar
 * statements (`import …`, `case …:`) is common, and the user is often writing the next one.
 */
export function stopAtRepetition(text: string, context: PostContext): string {
  const lines = text.split('\n');
  const above = new Set(context.linesAbove.map((l) => l.trim()).filter((l) => !isTrivialShape(lineShape(l))));
  const shapes = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    // The first line continues the cursor's line: it is compared as the whole line.
    const line = i === 0 ? context.linePrefix + lines[0] : lines[i];
    const shape = lineShape(line);
    if (isTrivialShape(shape)) continue;
    // Indentation is part of the key: `if (a) {` nested in `if (b) {` is structure, not a loop.
    // A line of literals alone (`2,` after `1,`) is data; only its exact copy is a repeat.
    const key = `${indentWidth(line)}:${shape.includes('a') ? shape : line.trim()}`;
    if (shapes.has(key) || above.has(line.trim())) return lines.slice(0, i).join('\n');
    shapes.add(key);
  }
  return text;
}

/** Non-blank lines looked at above the cursor's line. */
export const LINES_ABOVE = 3;

/** The last `LINES_ABOVE` non-blank lines of `prefix` before the cursor's line, nearest last. */
export function linesAbove(prefix: string): string[] {
  const lines = prefix.split('\n');
  lines.pop(); // the cursor's line
  const out: string[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < LINES_ABOVE; i--) if (lines[i].trim() !== '') out.unshift(lines[i]);
  return out;
}
