import type { PostContext } from './stage';
import { CLOSERS, OPENERS, forEachBracket } from './text';

/**
 * Multi-line mode: a completion cut off inside a block it opened (token limit) ends instead at the
 * last line break where all its own brackets were closed, when there is one.
 */
export function dropUnbalancedTail(text: string, context: PostContext): string {
  if (!context.multiline || !text.includes('\n')) return text;
  const depthAt = new Int32Array(text.length + 1); // own unclosed openers before each index
  const stack: string[] = [];
  let last = 0;
  forEachBracket(text, (i, ch) => {
    depthAt.fill(stack.length, last, i + 1);
    last = i + 1;
    if (OPENERS.includes(ch)) stack.push(ch);
    else if (stack.length > 0 && OPENERS.indexOf(stack[stack.length - 1]) === CLOSERS.indexOf(ch)) stack.pop();
  });
  if (stack.length === 0) return text;
  depthAt.fill(stack.length, last);
  for (let i = text.lastIndexOf('\n'); i > 0; i = text.lastIndexOf('\n', i - 1)) {
    if (depthAt[i] === 0 && text.slice(0, i).trim() !== '') return text.slice(0, i);
  }
  return text;
}
