import type { PostContext } from './stage';

/**
 * The rest of the current line stays after the inserted text, so a first line that ends with it
 * (`x = 1;` before `;`) would write it twice: that ending goes.
 */
export function dropLineSuffixRepeat(text: string, context: PostContext): string {
  const rest = context.lineSuffix.trim();
  if (rest === '') return text;
  const end = text.indexOf('\n');
  const first = end < 0 ? text : text.slice(0, end);
  const trimmed = first.trimEnd();
  if (!trimmed.endsWith(rest)) return text;
  return trimmed.slice(0, trimmed.length - rest.length) + (end < 0 ? '' : text.slice(end));
}
