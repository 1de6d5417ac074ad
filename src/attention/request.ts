/**
 * Building the worker's `attention` request from an editor state, without `vscode`: which slice of the
 * document to send (a line-aligned window around the cursor, so a 5,000-line file costs a few KB), and
 * whether the request is about the last completion.
 */
import { rawWindow, snapWindow } from './layout';
import type { AttentionRequest } from './workerProtocol';

/** The document as the host sees it. Offsets are UTF-16 code units (TextDocument.offsetAt). */
export interface DocumentSlice {
  length: number;
  /** document text [start, end) */
  text(start: number, end: number): string;
  /** 0-based line of an offset. */
  lineAt(offset: number): number;
}

/** A completion the model produced, as recorded when it was shown. */
export interface CompletionRecord {
  uri: string;
  /** Document offset where it was (to be) inserted. */
  offset: number;
  text: string;
  /** Document version when it was shown. */
  version: number;
  /** The worker request that produced it (absent for a completion served from the host's cache). */
  resultId?: number;
  /** Snippets of other files its prompt held (src/workspace/snippetBlock.ts `snippetLabel`). */
  snippets?: string[];
}

export type CompletionTarget = { text: string; offset: number; inDocument: boolean; resultId?: number };

/**
 * Whether Explain Attention at `cursor` is about the last completion: it is still shown as ghost text
 * (same document version, cursor at its insertion point), or it was accepted and the cursor sits at its end.
 */
export function completionAtCursor(
  record: CompletionRecord | null,
  doc: { uri: string; version: number; text(start: number, end: number): string; length: number },
  cursor: number,
): CompletionTarget | null {
  if (!record || record.uri !== doc.uri || record.text.length === 0) return null;
  const id = record.resultId === undefined ? {} : { resultId: record.resultId };
  if (doc.version === record.version && cursor === record.offset) return { text: record.text, offset: record.offset, inDocument: false, ...id };
  const end = record.offset + record.text.length;
  if (cursor === end && end <= doc.length && doc.text(record.offset, end) === record.text) {
    return { text: record.text, offset: record.offset, inDocument: true, ...id };
  }
  return null;
}

export type AttentionRequestBody = Omit<AttentionRequest, 'type' | 'id'>;

/** The request for the token before `cursor` (or for `completion`), at most `maxTokens` tokens. */
export function attentionRequestFor(doc: DocumentSlice, cursor: number, maxTokens: number, completion: CompletionTarget | null = null, rows: number[] = []): AttentionRequestBody {
  const at = completion ? completion.offset : Math.max(0, Math.min(doc.length, cursor));
  const raw = rawWindow(doc.length, at, maxTokens);
  // With a completion the window ends where the completion starts; its text follows separately.
  const rawEnd = completion ? at : raw.end;
  const window = snapWindow(doc.text(raw.start, rawEnd), raw.start, at, completion ? at : doc.length);
  return {
    text: doc.text(window.start, window.end),
    baseOffset: window.start,
    baseLine: doc.lineAt(window.start),
    cursor: completion ? at : cursor,
    maxTokens,
    rows,
    completion,
  };
}
