/** A phrase repeated this many times in a row, within a line, is a loop. */
const PHRASE_REPEATS = 3;
/** Longest phrase looked for, characters. */
const MAX_PHRASE = 40;

/**
 * Where to end a text whose line loops on one phrase (2 or more characters, a letter in it,
 * repeated `PHRASE_REPEATS` times in a row): after one copy of it (see `naturalEnd`); -1 when none
 * loops. `| number | number | number` ends after `| number `; `----` and `0, 0, 0` (no letter) are
 * left alone.
 */
export function repeatedPhraseAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    for (let k = 2; k <= MAX_PHRASE && i + PHRASE_REPEATS * k <= text.length; k++) {
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
