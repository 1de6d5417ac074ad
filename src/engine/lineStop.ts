/**
 * A stop rule of the generation loop for multi-line completions: once post-processing would cut the
 * complete lines generated so far (a repeated line or line shape, the end of the block, a blank
 * line, the line below the cursor), nothing generated after the cut can be shown, so generating
 * more only costs time. Post-processing on the host still does the cutting.
 */
import { cutWithinLines, type PostContext } from '../completion/postprocess';

/**
 * Where to end `text` (the generated text so far, `checkedLength` of it already checked), or null to
 * go on. Checked when a line break arrives; the end is that line break, so the text returned holds
 * complete lines only.
 */
export function lineStopAt(text: string, checkedLength: number, context: PostContext | undefined): number | null {
  if (!context) return null;
  const end = text.lastIndexOf('\n');
  if (end < checkedLength) return null;
  return cutWithinLines(text.slice(0, end), context) ? end : null;
}
