import { lineShape } from './lineShape';
import type { PostContext } from './stage';

/**
 * A line that can repeat in good code without saying anything twice: brackets, operators and
 * separators alone (`}`, `});`, `],`). Everything with a word, a number or a quote counts.
 */
const isStructural = (line: string): boolean => !/[\w$"'`]/.test(line);

/**
 * No suggestion repeats a line or a line shape (issue #16): the completion ends before its first
 * line that has the shape (see `lineShape`: names, numbers and strings abstracted) of an earlier
 * line of it, or that is the non-blank line right above the cursor again; a first line that makes
 * the cursor's line a copy of the line above drops the suggestion. Indentation does not matter and
 * literals are abstracted too: a second `if (…) {` one level deeper, `cy: number;` after
 * `cx: number;` and `"b",` after `"a",` all end it. What a looping model writes next is a variation of
 * what it just wrote; a list or a run of similar statements is offered one line at a time, each
 * accepted line making the next suggestion. Lines further up are not compared: copying a line of
 * another function into a new one is often what the user wants.
 */
export function stopAtRepetition(text: string, context: PostContext): string {
  const lines = text.split('\n');
  const above = context.linesAbove.at(-1)?.trim();
  const shapes = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    // The first line continues the cursor's line: it is compared as the whole line.
    const line = i === 0 ? context.linePrefix + lines[0] : lines[i];
    if (isStructural(line)) continue;
    const shape = lineShape(line);
    if (line.trim() === above || shapes.has(shape)) return lines.slice(0, i).join('\n');
    shapes.add(shape);
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
