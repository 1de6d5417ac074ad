/**
 * The completion's line breaks as the document's: the pipeline works with `\n` (post-processing
 * normalises the model's text), so in a CRLF document a multi-line completion would otherwise insert
 * `\n` and leave the file with mixed line endings. Applied last, by the provider, which knows the document.
 */
export type LineEnding = '\n' | '\r\n';

export function matchLineEndings(text: string, eol: LineEnding): string {
  return text.replace(/\r\n|\r|\n/g, eol);
}
