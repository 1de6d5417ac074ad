/**
 * Checks of the untyped arguments the attention commands get from other features and tests: the
 * completion `localGpt.explainAttention` may be asked to explain, and the offsets and ids of a
 * recorded completion. Apart from the controller (src/extension/attentionFeature.ts) because parsing
 * them needs no `vscode`, so unit tests run it in plain Node.
 */
import { isRecord } from '../validation/checks';
import type { CompletionTarget } from './request';

/** A non-negative integer: an offset, a result id. */
export const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** `{ completion: { text, offset, inDocument, resultId? } }` as the command's optional argument (tests, other features). */
export function parseCompletionArg(arg: unknown): CompletionTarget | null {
  if (!isRecord(arg) || !isRecord(arg.completion)) return null;
  const c = arg.completion;
  if (typeof c.text !== 'string' || !isIndex(c.offset)) return null;
  return { text: c.text, offset: c.offset, inDocument: c.inDocument === true, ...(isIndex(c.resultId) ? { resultId: c.resultId } : {}) };
}
