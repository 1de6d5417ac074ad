import type { PostContext } from './stage';
import { isBlank } from './text';

/**
 * Multi-line mode: one paragraph of code at a time. A blank line after some text ends the
 * completion (the model moving on to the next declaration is rarely what the user is writing).
 */
export function stopAtBlankLine(text: string, context: PostContext): string {
  if (!context.multiline) return text;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    if (isBlank(lines[i]) && lines.slice(0, i).some((l) => !isBlank(l))) return lines.slice(0, i).join('\n');
  }
  return text;
}
