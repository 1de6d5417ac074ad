/** A string literal, a number or an identifier (keywords too), in one pass so no replacement is matched again. */
const ABSTRACTED = /(["'`])(?:\\.|(?!\1)[^\\])*\1|\d[\w.]*|[\p{L}_$][\p{L}\p{N}_$]*/gu;

/**
 * The shape of a line of code: trimmed, string literals as `""`, numbers as `0`, identifiers as `a`,
 * whitespace runs as one space. `cx: number;` and `cy: number;` have one shape, `a: a;`. A model
 * stuck in a loop repeats shapes more often than lines (`x.x = x.y;`, `x.y = x.z;`).
 */
export function lineShape(line: string): string {
  return line
    .trim()
    .replace(ABSTRACTED, (m) => (m[0] === '"' || m[0] === "'" || m[0] === '`' ? '""' : /\d/.test(m[0]) ? '0' : 'a'))
    .replace(/\s+/g, ' ');
}
