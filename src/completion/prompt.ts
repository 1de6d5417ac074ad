/**
 * The prompt stage of the completion pipeline (pipeline.ts lists the stages in order): the prompt
 * text. A header comment names the file in the language's comment syntax
 * (training documents start with `// <package>/<path>`), then the prefix window. Fill-in-the-middle,
 * in the order the model was trained for (FimOrder), only when the model can do it (`capabilities.fim`:
 * FIM tokens in the tokenizer AND trained for it) and there is a suffix to give it. In the spm order the
 * prompt ends with the prefix, as a prefix-only prompt does: the worker's token healing and prefix reuse
 * across keystrokes work the same (the suffix before it rarely changes while the user types).
 */
import { FIM_TOKENS, type ModelCapabilities } from '../engine/protocol';
import { commentLine } from '../workspace/languages';
import type { CompletionContext } from './context';

/** `// src/foo.ts`, `# app/main.py`, `<!-- index.html -->`: the first line of every prompt. */
export function headerLine(languageId: string, relativePath: string): string {
  return commentLine(languageId, relativePath);
}

export interface Prompt {
  text: string;
  /** Which format was used (for the log and tests). */
  format: 'prefix' | 'fim';
  /** Snippets of other files placed before the prefix (src/workspace/snippetBlock.ts), e.g. `src/math.ts:3-8`. */
  snippets?: string[];
}

/** `preamble`: context placed after the header line, before the prefix (retrieved snippets, as comments). */
export function buildPrompt(context: CompletionContext, capabilities: ModelCapabilities, preamble = ''): Prompt {
  const header = `${headerLine(context.languageId, context.relativePath)}\n${preamble}`;
  if (capabilities.fim !== false && context.suffix.trim() !== '') {
    const { prefix, suffix, middle } = FIM_TOKENS;
    const text = capabilities.fim === 'spm'
      ? `${prefix}${suffix}${context.suffix}${middle}${header}${context.prefix}`
      : `${prefix}${header}${context.prefix}${suffix}${context.suffix}${middle}`;
    return { text, format: 'fim' };
  }
  return { text: header + context.prefix, format: 'prefix' };
}
