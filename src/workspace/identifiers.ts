/**
 * The identifiers of a piece of code, as a set: what snippet retrieval compares (Jaccard similarity,
 * as neighbouring-tab context does). Keywords and one-letter names say nothing about what a snippet
 * is about, so they are left out.
 */

const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]*/g;

/** Keywords of the common languages (JS/TS, Python, Go, Rust, C-like); not identifiers of the user's code. */
const KEYWORDS: ReadonlySet<string> = new Set(
  (
    'abstract and as async await break case catch class const continue def default del delete do elif else enum export extends ' +
    'false final finally fn for from func function get go if impl implements import in instanceof interface is let lambda match ' +
    'mod mut new nil none None not null of or package pass private protected pub public raise return self Self set static struct ' +
    'super switch this throw true True False try type typeof undefined use var void while with yield string number boolean any'
  ).split(' '),
);

/** The identifiers of one line, in order, repeats kept. */
export function identifiersOfLine(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(IDENTIFIER)) {
    const word = m[0];
    if (word.length > 1 && !KEYWORDS.has(word)) out.push(word);
  }
  return out;
}

export function identifierSet(text: string): Set<string> {
  return new Set(identifiersOfLine(text));
}
