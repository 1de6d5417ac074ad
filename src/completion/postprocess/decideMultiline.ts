import type { CompletionContext } from '../context';
import { endsWithOpener, isBlank } from './text';

export type MultilineSetting = 'auto' | 'always' | 'never';

/**
 * May this completion span several lines? In `auto`: only on an empty line, or right after an
 * opening bracket with nothing but closers after the cursor (`function f() {|}`); elsewhere the
 * user is in the middle of a line and wants that line finished.
 */
export function decideMultiline(context: Pick<CompletionContext, 'linePrefix' | 'lineSuffix'>, setting: MultilineSetting): boolean {
  if (setting !== 'auto') return setting === 'always';
  const rest = context.lineSuffix.trim();
  if (isBlank(context.linePrefix) && rest === '') return true;
  return endsWithOpener(context.linePrefix) && /^[)\]}]*[;,]?$/.test(rest);
}
