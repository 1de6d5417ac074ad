import type { PostContext } from './stage';

/** Single-line mode: everything after the first line break goes. */
export function keepFirstLine(text: string, context: PostContext): string {
  if (context.multiline) return text;
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}
