/**
 * Languages of workspace files: the VS Code language id of a file name (for files that are not open,
 * whose id VS Code has not decided), and the family whose files may lend each other snippets and
 * n-grams (TypeScript and JavaScript share code and idioms), and the line comment syntax that prompts
 * (their header line, retrieved snippets) are written in.
 */

/** VS Code language id by file extension (lower case, with the dot). */
export const LANGUAGE_BY_EXTENSION: Readonly<Record<string, string>> = {
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript', '.tsx': 'typescriptreact',
  '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascriptreact',
  '.py': 'python', '.go': 'go', '.rs': 'rust', '.java': 'java', '.kt': 'kotlin', '.cs': 'csharp',
  '.c': 'c', '.h': 'c', '.cpp': 'cpp', '.cc': 'cpp', '.hpp': 'cpp', '.rb': 'ruby', '.php': 'php',
  '.swift': 'swift', '.scala': 'scala', '.lua': 'lua', '.sh': 'shellscript', '.css': 'css', '.scss': 'scss',
  '.less': 'less', '.html': 'html', '.vue': 'vue', '.svelte': 'svelte', '.json': 'json', '.md': 'markdown',
  '.sql': 'sql', '.yaml': 'yaml', '.yml': 'yaml', '.toml': 'toml',
};

/** The language id for a path, or null when the extension is not a source language we know. */
export function languageOfPath(path: string): string | null {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return null;
  return LANGUAGE_BY_EXTENSION[path.slice(dot).toLowerCase()] ?? null;
}

const FAMILIES: Readonly<Record<string, string>> = {
  typescript: 'js', typescriptreact: 'js', javascript: 'js', javascriptreact: 'js', vue: 'js', svelte: 'js',
  c: 'c', cpp: 'c', css: 'css', scss: 'css', less: 'css',
};

/** Languages of one family share snippets and n-grams; any other language is its own family. */
export function languageFamily(languageId: string): string {
  return FAMILIES[languageId] ?? languageId;
}

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
