/**
 * Stage 4 of the completion pipeline: rules over the raw model text, in order. Each is a pure
 * function in its own file, named after what it decides; add one by adding it to `STAGES`.
 */
import { dropLineSuffixRepeat } from './dropLineSuffixRepeat';
import { dropUnbalancedTail } from './dropUnbalancedTail';
import { keepFirstLine } from './keepFirstLine';
import { limitScopeByIndentation } from './limitScopeByIndentation';
import type { PostContext, Stage } from './stage';
import { stopAtBlankLine } from './stopAtBlankLine';
import { stopAtRepeatingLines } from './stopAtRepeatingLines';
import { stopAtSuffixClosingBracket } from './stopAtSuffixClosingBracket';
import { trimTrailingWhitespace } from './trimTrailingWhitespace';

export { decideMultiline, type MultilineSetting } from './decideMultiline';
export { matchLineEndings, type LineEnding } from './matchLineEndings';
export type { PostContext, Stage } from './stage';

export const STAGES: readonly [string, Stage][] = [
  ['keepFirstLine', keepFirstLine],
  ['limitScopeByIndentation', limitScopeByIndentation],
  ['stopAtBlankLine', stopAtBlankLine],
  ['stopAtRepeatingLines', stopAtRepeatingLines],
  ['stopAtSuffixClosingBracket', stopAtSuffixClosingBracket],
  ['dropLineSuffixRepeat', dropLineSuffixRepeat],
  ['dropUnbalancedTail', dropUnbalancedTail],
  ['trimTrailingWhitespace', trimTrailingWhitespace],
];

/** The text to show, or null when nothing worth showing is left (empty or whitespace only). */
export function postProcess(raw: string, context: PostContext): string | null {
  let text = raw.replace(/\r\n/g, '\n');
  for (const [, stage] of STAGES) {
    text = stage(text, context);
    if (text.trim() === '') return null;
  }
  return text;
}
