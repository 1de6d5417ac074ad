import type { PostContext } from './stage';
import { endsWithOpener, indentWidth, isBlank } from './text';

/**
 * Multi-line mode: stop at the end of the current block. A line indented less than the cursor's line
 * leaves the block; after an opening bracket, the line back at the cursor line's indentation is the
 * block's closing line: kept when it starts with a closer, else it is the next statement and goes.
 */
export function limitScopeByIndentation(text: string, context: PostContext): string {
  if (!context.multiline) return text;
  const lines = text.split('\n');
  const reference = indentWidth(context.linePrefix);
  const afterOpener = endsWithOpener(context.linePrefix);
  for (let i = 1; i < lines.length; i++) {
    if (isBlank(lines[i])) continue;
    const indent = indentWidth(lines[i]);
    if (indent < reference) return lines.slice(0, i).join('\n');
    if (afterOpener && indent === reference) {
      const keep = /^\s*[)\]}]/.test(lines[i]) ? i + 1 : i;
      return lines.slice(0, keep).join('\n');
    }
  }
  return text;
}
