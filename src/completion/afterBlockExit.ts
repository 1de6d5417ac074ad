/**
 * A fresh line right after a statement that leaves its block (`return`, `throw`, `break`, `continue`;
 * `raise` in Python) at the same indentation: code there cannot run. A user at that spot is about to
 * dedent (the closing brace, the next `case`, the next function), which the editor's indentation does,
 * and held-out code has no such lines for the model to learn from, so what it suggests there is noise
 * (a second `return`, a junk line). The pipeline suggests nothing there and does not run the model.
 */

/** Languages that end statements with `;`: the exit statement must be complete, `;` and all. */
const SEMICOLON_LANGUAGES = new Set(['javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'java', 'c', 'cpp', 'csharp', 'php', 'rust', 'dart']);
/** Languages without statement terminators: the exit statement must not go on (balanced brackets, no `\` or operator at the end). */
const LINE_END_LANGUAGES = new Set(['python', 'go', 'ruby']);

const EXIT_WITH_SEMICOLON = /^(return|throw)\b.*;$|^(break|continue)(\s+[A-Za-z_$][\w$]*)?;$/;
const EXIT_AT_LINE_END = /^(return|raise|break|continue)\b/;

/**
 * Does the cursor sit at a fresh line (only indentation before it, nothing after it) whose closest
 * non-blank line above is, at the same indentation, a complete block-exit statement?
 * `prefix`: the text before the cursor (its last line is the cursor's line up to the cursor).
 */
export function isAfterBlockExit(prefix: string, lineSuffix: string, languageId: string): boolean {
  const semicolons = SEMICOLON_LANGUAGES.has(languageId);
  if (!semicolons && !LINE_END_LANGUAGES.has(languageId)) return false;
  if (lineSuffix.trim() !== '') return false;
  const lines = prefix.split('\n');
  const indentation = lines[lines.length - 1];
  if (/\S/.test(indentation)) return false;
  let i = lines.length - 2;
  while (i >= 0 && lines[i].trim() === '') i--;
  if (i < 0) return false;
  const above = lines[i].replace(/\r$/, '');
  if (!above.startsWith(indentation) || /^\s/.test(above.slice(indentation.length))) return false;
  const statement = above.trim();
  if (semicolons) return EXIT_WITH_SEMICOLON.test(statement);
  return EXIT_AT_LINE_END.test(statement) && endsStatement(statement);
}

/** No open bracket left and no continuation at the end (`\`, an operator, a comma). */
function endsStatement(statement: string): boolean {
  let depth = 0;
  for (const ch of statement) {
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
  }
  return depth === 0 && !/[\\,+\-*/%=&|<>.:]$/.test(statement);
}
