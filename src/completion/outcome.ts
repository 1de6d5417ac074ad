/**
 * Why a completion request ended without a suggestion. The pipeline (./pipeline.ts) gives the reasons
 * it decides; the VS Code provider adds those only it can see. Each is counted in the extension's API
 * and logged at trace level, so a test (or a user reading the log) knows why nothing was shown.
 */

/** Each reason, as a log line or the CLI says it. */
export const NO_SUGGESTION_TEXT = {
  disabled: 'completions are off (localGpt.enabled), or the settings cannot configure the engine: the provider declined',
  suggestWidget: 'the suggest widget is open: a suggestion would overwrite its selection',
  binary: 'the model did not run (binary text at the cursor)',
  unreachable: 'the model did not run (a fresh line after return, throw, break or continue at its indentation: code there cannot run)',
  cachedEmpty: 'the model did not run (a remembered empty result for this spot)',
  debounced: 'a newer request (a keystroke) cancelled this one during the debounce, before the model was asked',
  cancelled: 'cancelled or superseded after the debounce (while reading snippets, in the engine, or after its reply)',
  empty: 'the model ran, and post-processing left no text to show',
  error: 'the engine failed (its message is reported separately)',
} as const;

export type NoSuggestionReason = keyof typeof NO_SUGGESTION_TEXT;

export const NO_SUGGESTION_REASONS = Object.keys(NO_SUGGESTION_TEXT) as readonly NoSuggestionReason[];

/** A request that ends without a suggestion, and why. */
export interface NoSuggestion {
  kind: 'none';
  reason: NoSuggestionReason;
}

export function noSuggestion(reason: NoSuggestionReason): NoSuggestion {
  return { kind: 'none', reason };
}

/** A count per reason, all zero. */
export function zeroReasonCounts(): Record<NoSuggestionReason, number> {
  return Object.fromEntries(NO_SUGGESTION_REASONS.map((r) => [r, 0])) as Record<NoSuggestionReason, number>;
}
