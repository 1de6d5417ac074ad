/**
 * At a fresh line (the cursor's line holds only whitespace: the user pressed Enter and the editor
 * indented), the user is about to write something, and a suggestion that shows nothing is no help.
 * A model often ranks end-of-text or a line break first there (a blank line is common in code), which
 * ends the suggestion before any visible text: the generation loop redraws such a token, so the
 * suggestion is the model's best continuation that shows text on the line.
 */
import type { PostContext } from './protocol';

/** Is the cursor on a line that holds only whitespace (before and after it)? */
export function atFreshLine(context: PostContext | undefined): boolean {
  return context !== undefined && context.linePrefix.trim() === '' && context.lineSuffix.trim() === '';
}

/**
 * Would drawing this token end the suggestion before it shows text? `shown`: the new text so far
 * (after any healed text); `unhealed`: healed text the token must still spell; `tokenText`:
 * undefined for end-of-text. True when nothing visible has come yet and the token is end-of-text
 * or, past the text it spells for healing, breaks the line before a non-whitespace character.
 */
export function endsBeforeText(shown: string, unhealed: string, tokenText: string | undefined): boolean {
  if (/\S/.test(shown)) return false;
  if (tokenText === undefined) return true;
  const rest = unhealed ? (tokenText.startsWith(unhealed) ? tokenText.slice(unhealed.length) : '') : tokenText;
  return /^[^\S\n]*\n/.test(rest);
}
