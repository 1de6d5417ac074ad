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
  const ids = prompt.slice(0, prompt.length - taken);
  const healed = tail.slice(tail.length - taken).join('');
  return splitIndentation(ids, healed, texts) ?? { ids, healed };
}

/**
 * A whitespace run at the end of the prompt (the indentation after Enter) is one pre-token only because
 * nothing follows it yet. Once the line is typed, its last character goes with what follows: `\n␣␣return`
 * is `\n␣` + `␣return`, `\n\t\tx` is `\n\t` + `\t` + `x`. So the run but its last character goes back
 * into the prompt as the token the document will have, and only a last space is healed (it starts the
 * next word's token). Null when the run is one character, or the vocabulary has no token for the rest.
 */
function splitIndentation(ids: number[], healed: string, texts: readonly string[]): { ids: number[]; healed: string } | null {
  if (healed.length < 2 || !isWhitespace(healed)) return null;
  const head = tokenIdOf(texts, healed.slice(0, -1));
  const last = healed.slice(-1);
  if (head === undefined) return null;
  if (last === ' ') return { ids: [...ids, head], healed: last };
  const lastId = tokenIdOf(texts, last);
  return lastId === undefined ? null : { ids: [...ids, head, lastId], healed: '' };
}

const tokenIds = new WeakMap<readonly string[], Map<string, number>>();

/** The id of the token whose text is `text` (the first, if several: byte tokens never spell whitespace twice). */
function tokenIdOf(texts: readonly string[], text: string): number | undefined {
  let ids = tokenIds.get(texts);
  if (!ids) {
    ids = new Map();
    texts.forEach((t, id) => {
      if (t && !ids!.has(t)) ids!.set(t, id);
    });
    tokenIds.set(texts, ids);
  }
  return ids.get(text);
}

/**
 * The healing constraint for one step: every token that does not spell on from `remaining` (the
 * healed text not generated yet) gets -Infinity in `row`. A token is allowed when it is a prefix of
 * `remaining` or starts with all of it, unless it ends the healed text with a whitespace run the
 * tokenizer never ends before text (`endsBeforeTextNever`): after Enter, `\n␣␣` spelled as one token
 * would leave the model where training never was, so it has to write `\n␣` + `␣return`, as the
 * document will tokenize once the line is typed (and as the copy model finds it elsewhere).
 */
export function maskToHealing(row: Float32Array, remaining: string, texts: readonly string[]): void {
  for (let id = 0; id < row.length; id++) {
    const t = texts[id];
    if (!t) row[id] = -Infinity;
    else if (remaining.startsWith(t) && t.length < remaining.length) continue;
    else if (!t.startsWith(remaining) || endsBeforeTextNever(t)) row[id] = -Infinity;
  }
}

/**
 * A whitespace token that the pre-tokenizer (src/model/tokenizer/preTokenize.ts) never ends right before
 * other text: a run of two or more whitespace characters gives its last one to what follows (`\n␣␣x` is
 * `\n␣` + `␣x`, `\n\t\tx` is `\n\t` + `\t` + `x`), and a lone space joins the word after it. A lone
 * `\n` or `\t` does end before text. Tokens are cut within pre-tokens, so one ending in whitespace is
 * all whitespace.
 */
function endsBeforeTextNever(token: string): boolean {
  return isWhitespace(token) && (token.length >= 2 || token === ' ');
}

/** Whitespace as the pre-tokenizer means it (`\p{White_Space}`, as transformers.js reads `\s`). */
function isWhitespace(text: string): boolean {
  return /^\p{White_Space}+$/u.test(text);
}

/** What is left to spell after `token`: '' once the healed text is covered. */
export function remainingAfter(remaining: string, token: string): string {
  return token.length >= remaining.length ? '' : remaining.slice(token.length);
}
