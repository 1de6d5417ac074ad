/**
 * Every command id the extension registers. `CONTRIBUTED_COMMANDS` are the palette commands declared in
 * package.json `contributes.commands` (a unit test keeps the two equal); `INTERNAL_COMMANDS` are run by
 * the extension itself or by tests and are not shown to the user.
 */
export const CONTRIBUTED_COMMANDS = {
  explainAttention: 'localGpt.explainAttention',
  clearAttentionHighlights: 'localGpt.clearAttentionHighlights',
  toggleInlineCompletions: 'localGpt.toggleInlineCompletions',
  triggerCompletion: 'localGpt.triggerCompletion',
  showLog: 'localGpt.showLog',
} as const;

export const INTERNAL_COMMANDS = {
  /** Run by VS Code after the user accepts a completion: records it for Explain Attention (`{ uri, offset, text, resultId? }`). */
  recordCompletion: 'localGpt.attention.recordCompletion',
  /** What the attention feature shows right now (`AttentionState`), for the integration tests. */
  inspectAttention: 'localGpt.attention.inspect',
} as const;
