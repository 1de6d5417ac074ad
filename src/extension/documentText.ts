import * as vscode from 'vscode';
import type { DocumentText } from '../completion/context';

/**
 * A `TextDocument` as `DocumentText`. `positionAt` clamps an offset between `\r` and `\n` to the `\r`,
 * so a range is read one character long at the end and trimmed to the exact offsets.
 */
export function documentText(document: vscode.TextDocument): DocumentText {
  const length = document.offsetAt(document.lineAt(document.lineCount - 1).range.end);
  return {
    length,
    slice(start, end) {
      start = Math.max(0, Math.min(start, length));
      end = Math.max(start, Math.min(end, length));
      if (start === end) return '';
      const from = document.positionAt(start);
      const readFrom = document.offsetAt(from);
      const text = document.getText(new vscode.Range(from, document.positionAt(Math.min(length, end + 1))));
      return text.slice(start - readFrom, end - readFrom);
    },
    lineAt: (offset) => document.positionAt(offset).line,
  };
}
