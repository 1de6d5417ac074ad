/**
 * Retrieved snippets as prompt text: each one a comment block in the document's language, headed by
 * the file it comes from (the "Compare this snippet from …" form of neighbouring-tab context), cut to
 * a character budget at whole lines. Placed after the header line and before the prefix window.
 */
import { commentLine } from './languages';

export interface Snippet {
  relativePath: string;
  /** 0-based, end exclusive. */
  startLine: number;
  endLine: number;
  text: string;
}

/** A snippet cut shorter than this many lines is left out. */
const MIN_LINES = 2;

function snippetHeading(languageId: string, relativePath: string): string {
  return commentLine(languageId, `Compare this snippet from ${relativePath}:`);
}

/** The block (ending with a line break, or '') and the snippets it holds, within `maxChars`. */
export function snippetBlock(languageId: string, snippets: readonly Snippet[], maxChars: number): { text: string; used: Snippet[] } {
  let text = '';
  const used: Snippet[] = [];
  for (const s of snippets) {
    const lines = s.text.replace(/\s+$/, '').split('\n').map((l) => l.replace(/\r$/, ''));
    let block = `${snippetHeading(languageId, s.relativePath)}\n`;
    let kept = 0;
    for (const line of lines) {
      const next = `${commentLine(languageId, line)}\n`;
      if (text.length + block.length + next.length > maxChars) break;
      block += next;
      kept++;
    }
    if (kept < Math.min(MIN_LINES, lines.length) || kept === 0) continue;
    text += block;
    used.push({ ...s, endLine: s.startLine + kept, text: lines.slice(0, kept).join('\n') });
  }
  return { text, used };
}

/** `src/math.ts:3-8` (1-based lines), for logs and the attention panel. */
export function snippetLabel(s: Pick<Snippet, 'relativePath' | 'startLine' | 'endLine'>): string {
  return `${s.relativePath}:${s.startLine + 1}-${s.endLine}`;
}
