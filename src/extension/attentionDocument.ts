/**
 * An editor document as the attention request code (src/attention/request.ts) reads it: exact offset
 * ranges and lines for the window to send, and uri + version + text to tell whether the cursor is at
 * the last completion. Apart from the attention controller (./attentionFeature.ts) because these are
 * adapters from `vscode.TextDocument` to plain-TS interfaces, with no state of the panel.
 */
import type * as vscode from 'vscode';
import type { DocumentSlice } from '../attention/request';
import { documentText } from './documentText';

/** The document as an attention request reads it: exact ranges, CRLF included (./documentText.ts). */
export function documentSlice(doc: vscode.TextDocument): DocumentSlice {
  const text = documentText(doc);
  return { length: text.length, text: (start, end) => text.slice(start, end), lineAt: (offset) => text.lineAt(offset) };
}

/** The document as `completionAtCursor` reads it: its identity, version and text. */
export function docView(doc: vscode.TextDocument) {
  const slice = documentSlice(doc);
  return { uri: doc.uri.toString(), version: doc.version, text: slice.text, length: slice.length };
}
