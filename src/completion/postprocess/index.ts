/**
 * Stage 4 of the completion pipeline: rules over the raw model text, in order. Each is a pure
 * function in its own file, named after what it decides; add one by adding it to `STAGES`.
 */
import type { CompletionContext } from '../context';
import { dropLineSuffixRepeat } from './dropLineSuffixRepeat';
import { dropUnbalancedTail } from './dropUnbalancedTail';
import { keepFirstLine } from './keepFirstLine';
import { limitScopeByIndentation } from './limitScopeByIndentation';
import type { PostContext, Stage } from './stage';
import { startAtCursorIndentation } from './startAtCursorIndentation';
import { stopAtBlankLine } from './stopAtBlankLine';
import { stopAtRepeatingLines } from './stopAtRepeatingLines';
import { stopAtRepeatedPhrase } from './stopAtRepeatedPhrase';
import { linesAbove, stopAtRepetition } from './stopAtRepetition';
import { stopAtSuffixClosingBracket } from './stopAtSuffixClosingBracket';
import { trimTrailingWhitespace } from './trimTrailingWhitespace';

export { decideMultiline, type MultilineSetting } from './decideMultiline';
export { matchLineEndings, type LineEnding } from './matchLineEndings';
export type { PostContext } from './stage';

export const STAGES: readonly [string, Stage][] = [
  ['startAtCursorIndentation', startAtCursorIndentation],
  ['keepFirstLine', keepFirstLine],
  ['limitScopeByIndentation', limitScopeByIndentation],
  ['stopAtBlankLine', stopAtBlankLine],
  ['stopAtRepeatingLines', stopAtRepeatingLines],
  ['stopAtRepetition', stopAtRepetition],
  ['stopAtRepeatedPhrase', stopAtRepeatedPhrase],
  ['stopAtSuffixClosingBracket', stopAtSuffixClosingBracket],
  ['dropLineSuffixRepeat', dropLineSuffixRepeat],
  ['dropUnbalancedTail', dropUnbalancedTail],
  ['trimTrailingWhitespace', trimTrailingWhitespace],
];

/**
 * Stages that only end the text at a line and keep what comes before it as it was. Run on the
 * complete lines generated so far, they tell the generation loop it can stop: more tokens could
 * only be cut away (src/engine/lineStop.ts).
 */
const LINE_CUTS: ReadonlySet<Stage> = new Set([limitScopeByIndentation, stopAtBlankLine, stopAtRepeatingLines, stopAtRepetition]);

/** What the stages see, from the pipeline's context. */
export function postContextOf(context: Pick<CompletionContext, 'prefix' | 'linePrefix' | 'lineSuffix' | 'nextLines'>, multiline: boolean): PostContext {
  return { linePrefix: context.linePrefix, lineSuffix: context.lineSuffix, nextLines: context.nextLines, linesAbove: linesAbove(context.prefix), multiline };
}

/**
 * Would post-processing cut the text within `completeLines` (generated text up to, not including,
 * its last line break)? Then the lines after it can never be shown and generation can stop.
 */
export function cutWithinLines(completeLines: string, context: PostContext): boolean {
  let text = startAtCursorIndentation(completeLines.replace(/\r\n/g, '\n'), context);
  for (const [, stage] of STAGES) {
    if (!LINE_CUTS.has(stage)) continue;
    const cut = stage(text, context);
    if (cut.length < text.length) return true;
    text = cut;
  }
  return false;
}

/** The text to show, or null when nothing worth showing is left (empty or whitespace only). */
export function postProcess(raw: string, context: PostContext): string | null {
  let text = raw.replace(/\r\n/g, '\n');
  for (const [, stage] of STAGES) {
    text = stage(text, context);
    if (text.trim() === '') return null;
  }
  return text;
}
