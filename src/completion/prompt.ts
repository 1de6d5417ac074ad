/**
 * The prompt stage of the completion pipeline (pipeline.ts lists the stages in order): the prompt
 * text. A header comment names the file in the language's comment syntax
 * (training documents start with `// <package>/<path>`), then the prefix window. Fill-in-the-middle
 * (`<fim_prefix>…<fim_suffix>…<fim_middle>`) only when the model can do it (`capabilities.fim`:
 * FIM tokens in the tokenizer AND trained for it) and there is a suffix to give it.
 */
import { FIM_TOKENS, type ModelCapabilities } from '../engine/protocol';
import type { CompletionContext } from './context';

type CommentStyle = { open: string; close?: string };

const SLASHES: CommentStyle = { open: '//' };
const HASH: CommentStyle = { open: '#' };
const DASHES: CommentStyle = { open: '--' };

/** Line comment syntax per VS Code language id; languages not listed use `//`. */
const COMMENT_STYLES: Record<string, CommentStyle> = {
  python: HASH,
  shellscript: HASH,
  ruby: HASH,
  perl: HASH,
  r: HASH,
  yaml: HASH,
  toml: HASH,
  dockerfile: HASH,
  makefile: HASH,
  powershell: HASH,
  coffeescript: HASH,
  elixir: HASH,
  julia: HASH,
  nim: HASH,
  sql: DASHES,
  lua: DASHES,
  haskell: DASHES,
  elm: DASHES,
  latex: { open: '%' },
  tex: { open: '%' },
  matlab: { open: '%' },
  erlang: { open: '%' },
  clojure: { open: ';;' },
  lisp: { open: ';;' },
  scheme: { open: ';;' },
  bat: { open: 'REM' },
  vb: { open: "'" },
  html: { open: '<!--', close: '-->' },
  xml: { open: '<!--', close: '-->' },
  markdown: { open: '<!--', close: '-->' },
  vue: { open: '<!--', close: '-->' },
  svelte: { open: '<!--', close: '-->' },
  css: { open: '/*', close: '*/' },
  scss: SLASHES,
  less: SLASHES,
};

/** `text` as one line comment of the language (`// text`, `# text`, `<!-- text -->`). */
export function commentLine(languageId: string, text: string): string {
  const style = COMMENT_STYLES[languageId] ?? SLASHES;
  return style.close ? `${style.open} ${text} ${style.close}` : `${style.open} ${text}`;
}

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
  if (capabilities.fim && context.suffix.trim() !== '') {
    return {
      text: `${FIM_TOKENS.prefix}${header}${context.prefix}${FIM_TOKENS.suffix}${context.suffix}${FIM_TOKENS.middle}`,
      format: 'fim',
    };
  }
  return { text: header + context.prefix, format: 'prefix' };
}
