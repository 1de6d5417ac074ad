import type { PostContext } from './stage';
import { isBlank } from './text';

const same = (a: string, b: string) => a.trimEnd() === b.trimEnd();

/**
 * Drops what repeats the document below the cursor: a completion line equal (indentation included)
 * to the next non-blank line ends the completion there; on an empty line, a completion whose first
 * line is that next line is dropped whole.
 */
export function stopAtRepeatingLines(text: string, context: PostContext): string {
  const next = context.nextLines.find((l) => !isBlank(l));
  if (next === undefined) return text;
  const lines = text.split('\n');
  if (isBlank(context.linePrefix) && isBlank(context.lineSuffix) && same(context.linePrefix + lines[0], next)) return '';
  for (let i = 1; i < lines.length; i++) {
    if (same(lines[i], next)) return lines.slice(0, i).join('\n');
  }
  return text;
}
