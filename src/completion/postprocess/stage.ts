import type { PostContext } from '../../engine/protocol';

/** What every stage sees: the document context plus the single/multi-line decision. */
export type { PostContext };

/** A post-processing stage: a pure function named after what it decides. */
export type Stage = (text: string, context: PostContext) => string;
