/** A phrase repeated this many times in a row, within a line, is a loop. */
const PHRASE_REPEATS = 3;
/** Longest phrase looked for, characters. */
const MAX_PHRASE = 40;

/**
 * Where to end a text whose line loops on one phrase (2 or more characters, a letter in it,
 * repeated `PHRASE_REPEATS` times in a row): after one copy of it (see `naturalEnd`); -1 when none
 * loops. `| number | number | number` ends after `| number `; `----` and `0, 0, 0` (no letter) are
 * left alone.
 *
 * `from`: the text before it was already found loop-free (the generation loop calls this after
 * every token), so only loops that end after it are looked for: each call then costs the new
 * characters, not the whole text again (which cost ~0.3 ms per token at 100 characters).
 */
export function repeatedPhraseAt(text: string, from = 0): number {
  for (let i = Math.max(0, from - PHRASE_REPEATS * MAX_PHRASE); i < text.length; i++) {
    const first = text.charCodeAt(i);
    for (let k = 2; k <= MAX_PHRASE && i + PHRASE_REPEATS * k <= text.length; k++) {
      if (i + PHRASE_REPEATS * k <= from) continue; // ends in the part already checked
      // Cheap test before building the phrase: each copy starts with the same character.
      if (text.charCodeAt(i + k) !== first || text.charCodeAt(i + (PHRASE_REPEATS - 1) * k) !== first) continue;
      const phrase = text.slice(i, i + k);
      if (phrase.includes('\n') || !/\p{L}/u.test(phrase)) continue;
      let n = 1;
      while (n < PHRASE_REPEATS && text.startsWith(phrase, i + n * k)) n++;
      if (n === PHRASE_REPEATS) return naturalEnd(text, i + k, k);
    }
  }
  return -1;
}

/**
 * The loop can be cut after any rotation of its phrase: the first that ends after a separator
 * (`, "min",` rather than `, "min`), else right after the first copy.
 */
function naturalEnd(text: string, firstEnd: number, length: number): number {
  for (let c = firstEnd; c < firstEnd + length; c++) if (/[,;) \t]/.test(text[c - 1])) return c;
  return firstEnd;
}

/** No line loops on a phrase: the completion ends after the phrase's first copy. */
export function stopAtRepeatedPhrase(text: string): string {
  const at = repeatedPhraseAt(text);
  return at < 0 ? text : text.slice(0, at);
}
