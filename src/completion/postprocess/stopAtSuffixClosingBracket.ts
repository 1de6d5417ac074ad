import type { PostContext } from './stage';
import { CLOSERS, OPENERS, forEachBracket } from './text';

/**
 * Keeps brackets balanced against the document: a closing bracket in the completion that closes
 * something opened before the cursor ends the completion when the text after the cursor already
 * starts with that bracket (`foo(|)` + `a, b);` gives `a, b`).
 */
export function stopAtSuffixClosingBracket(text: string, context: PostContext): string {
  const after = `${context.lineSuffix}\n${context.nextLines.join('\n')}`.trimStart();
  const next = after[0];
  if (next === undefined || !CLOSERS.includes(next)) return text;
  const stack: string[] = [];
  let cut = -1;
  forEachBracket(text, (i, ch) => {
    if (OPENERS.includes(ch)) stack.push(ch);
    else if (stack.length > 0 && OPENERS.indexOf(stack[stack.length - 1]) === CLOSERS.indexOf(ch)) stack.pop();
    else if (stack.length === 0 && ch === next) {
      cut = i;
      return false;
    }
  });
  return cut < 0 ? text : text.slice(0, cut).trimEnd();
}
