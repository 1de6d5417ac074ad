/** Test helper: a document written with the cursor marked as ▮. */
import type { DocumentSnapshot } from '../../../src/completion/context';

const CURSOR = '▮';

export function withCursor(marked: string, languageId = 'typescript', relativePath = 'src/example.ts'): DocumentSnapshot {
  const offset = marked.indexOf(CURSOR);
  if (offset < 0 || marked.indexOf(CURSOR, offset + 1) >= 0) throw new Error(`test document needs exactly one ${CURSOR}: ${JSON.stringify(marked)}`);
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset, languageId, relativePath };
}
