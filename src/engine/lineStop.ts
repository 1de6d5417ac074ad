/**
 * A stop rule of the generation loop: once post-processing would cut the text generated so far (a
 * phrase looping within a line; in multi-line mode also a repeated line or line shape, the end of the
 * block, a blank line, the line below the cursor), nothing generated after the cut can be shown, so
 * generating more only costs time. Post-processing on the host still does the cutting.
 */
import { cutWithinLines, type PostContext } from '../completion/postprocess';
import { repeatedPhraseAt } from '../completion/postprocess/stopAtRepeatedPhrase';

/** Characters at the end of the text checked last time that a new token can still change. */
const REWRITTEN_TAIL = 4;

/**
 * Where to end `text` (the generated text so far, `checkedLength` of it already checked), or null to
 * go on: after the first copy of a looping phrase, or, checked when a line break arrives, at that line
 * break (the text then holds complete lines only).
 */
export function lineStopAt(text: string, checkedLength: number, context: PostContext | undefined): number | null {
  if (!context) return null;
  // The last few characters may have been rewritten (a UTF-8 character completed by the next token);
  // what the loop skips here, post-processing on the host still cuts.
  const phrase = repeatedPhraseAt(text, Math.max(0, checkedLength - REWRITTEN_TAIL));
  if (phrase >= 0) return phrase;
  if (!context.multiline) return null;
  const end = text.lastIndexOf('\n');
  if (end < checkedLength) return null;
  return cutWithinLines(text.slice(0, end), context) ? end : null;
}
