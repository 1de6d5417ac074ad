import type { CompletionContext } from '../context';

/** What every stage sees: the document context plus the single/multi-line decision. */
export interface PostContext extends Pick<CompletionContext, 'linePrefix' | 'lineSuffix' | 'nextLines'> {
  multiline: boolean;
  /** The non-blank lines right above the cursor's line, nearest last (`linesAbove` in stopAtRepetition.ts). */
  linesAbove: string[];
}

/** A post-processing stage: a pure function named after what it decides. */
export type Stage = (text: string, context: PostContext) => string;
