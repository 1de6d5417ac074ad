/**
 * Languages of workspace files: the VS Code language id of a file name (for files that are not open,
 * whose id VS Code has not decided), and the family whose files may lend each other snippets and
 * n-grams (TypeScript and JavaScript share code and idioms).
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
