/**
 * Pre-tokenizer: splits text into the "words" BPE works inside (merges never cross a word boundary).
 *
 * GPT-2 style, tuned for code:
 *  - ` ?\p{L}+`     identifiers/words with at most one leading space (`␣return`),
 *  - ` ?\p{N}`      digits one at a time, so numbers do not eat vocabulary,
 *  - ` ?[^…]+`      runs of punctuation/symbols with one optional leading space (`␣=>`, `});`),
 *  - `\s+(?!\S)`    whitespace runs except the last space before a word, which joins that word; this keeps
 *                   newline + indentation as one pre-token (`\n␣␣␣` + `␣return`), so indentation costs few tokens,
 *  - `\s+`          any remaining whitespace (trailing spaces at the end of the text).
 * GPT-2's English contraction rules ('s, 't, …) are left out: in code they split string literals badly.
 *
 * The pattern is written with `\p{White_Space}` instead of `\s` because transformers.js rewrites `\s` in
 * tokenizer.json regexes to `\p{White_Space}` (JS's own `\s` differs: it includes U+FEFF and misses U+0085).
 * Writing it explicitly makes the same source string mean the same thing in Oniguruma (HF tokenizers),
 * transformers.js and our encoder.
 */
export const PRE_TOKENIZER_PATTERN =
  ' ?\\p{L}+| ?\\p{N}| ?[^\\p{White_Space}\\p{L}\\p{N}]+|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+';

const PRE_TOKENIZER_REGEX = new RegExp(PRE_TOKENIZER_PATTERN, 'gu');

/** Yields the pre-tokens of `text` in order; their concatenation is `text`. */
export function* preTokenize(text: string): Generator<string> {
  // A fresh lastIndex per call: matchAll clones the regex, so concurrent generators don't interfere.
  for (const match of text.matchAll(PRE_TOKENIZER_REGEX)) yield match[0];
}
