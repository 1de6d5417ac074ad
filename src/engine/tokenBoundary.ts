/**
 * Token healing at the end of the prompt. A prompt cut at the cursor often ends inside what the
 * tokenizer would merge with the text that follows: after Enter the indentation `\n␣␣` is one token,
 * but in training `\n␣␣return` was `\n␣` + `␣return`; a half-typed `resu` is `res` + `u`, never the
 * `result` token. The model never saw such an ending and continues it badly. So the prompt backs off
 * to the start of its last pre-token (the unit BPE merges within), and generation must first spell
 * the text taken back: each constrained token either is a prefix of what is left of it or starts
 * with all of it, so the model picks its own tokenization across the cursor.
 */
import { preTokenize } from '../model/tokenizer/preTokenize';

/** At most this many prompt tokens are taken back (a pre-token is a few tokens at most). */
export const MAX_HEALED_TOKENS = 8;

/**
 * The prompt without the tokens of its last pre-token, and their text (`healed`). Nothing is taken
 * back from a one-token prompt, past a special token (no text), or past a token whose text is not
 * whole characters (a byte of a multi-byte character), where lengths would not line up.
 */
export function backOffToBoundary(prompt: readonly number[], texts: readonly string[]): { ids: number[]; healed: string } {
  const tail = prompt.slice(-(MAX_HEALED_TOKENS + 1)).map((id) => texts[id] ?? '');
  const tailText = tail.join('');
  let lastStart = 0;
  let at = 0;
  for (const piece of preTokenize(tailText)) {
    lastStart = at;
    at += piece.length;
  }
  const wanted = tailText.length - lastStart; // characters of the last pre-token
  let taken = 0;
  let chars = 0;
  while (taken < MAX_HEALED_TOKENS && prompt.length - taken > 1) {
    const t = tail[tail.length - 1 - taken];
    if (!t || t.includes('\uFFFD') || chars + t.length > wanted) break;
    chars += t.length;
    taken++;
  }
  return { ids: prompt.slice(0, prompt.length - taken), healed: tail.slice(tail.length - taken).join('') };
}

/**
 * The healing constraint for one step: every token that does not spell on from `remaining` (the
 * healed text not generated yet) gets -Infinity in `row`. A token is allowed when it is a prefix of
 * `remaining` or starts with all of it.
 */
export function maskToHealing(row: Float32Array, remaining: string, texts: readonly string[]): void {
  for (let id = 0; id < row.length; id++) {
    const t = texts[id];
    if (!t || !(t.startsWith(remaining) || remaining.startsWith(t))) row[id] = -Infinity;
  }
}

/** What is left to spell after `token`: '' once the healed text is covered. */
export function remainingAfter(remaining: string, token: string): string {
  return token.length >= remaining.length ? '' : remaining.slice(token.length);
}
