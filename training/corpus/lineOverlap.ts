import { createHash } from 'node:crypto';

/**
 * Line overlap between a validation file and the training files, so that no validation file is a (partial)
 * copy of something the model trained on. Lines are compared trimmed; only content lines count (at least
 * MIN_LINE_CHARS characters with a letter in them): `});`, `} else {` or `return;` are in every file.
 */
const MIN_LINE_CHARS = 10;

/**
 * A line found in more training files than this is boilerplate (a licence header line, `"use strict";`).
 * Its file list is not kept; instead it counts as shared with every training file, so the overlap reported
 * is an upper bound and never an underestimate.
 */
export const COMMON_LINE_FILES = 64;

/** The distinct content lines of `text`, as 48-bit hashes. */
export function contentLineHashes(text: string): Set<number> {
  const hashes = new Set<number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length < MIN_LINE_CHARS || !/[A-Za-z]/.test(line)) continue;
    hashes.add(createHash('sha1').update(line).digest().readUIntBE(0, 6));
  }
  return hashes;
}

interface Overlap {
  /** Shared content lines / the file's content lines, for the training file that shares the most (0 when none). */
  fraction: number;
  /** That training file's id, or undefined when the file has no line in common with any one training file. */
  fileId?: number;
}

const COMMON = 'common' as const;

/** Index of the training files' content lines. */
export class LineIndex {
  /** line hash -> ids of the training files that contain it; COMMON for boilerplate lines. */
  private readonly files = new Map<number, number[] | typeof COMMON>();

  add(fileId: number, text: string): void {
    for (const hash of contentLineHashes(text)) {
      const ids = this.files.get(hash);
      if (ids === undefined) this.files.set(hash, [fileId]);
      else if (ids === COMMON) continue;
      else if (ids.length >= COMMON_LINE_FILES) this.files.set(hash, COMMON);
      else if (ids[ids.length - 1] !== fileId) ids.push(fileId);
    }
  }

  /** The largest share of `text`'s content lines that one indexed file also contains. */
  overlap(text: string): Overlap {
    const lines = contentLineHashes(text);
    if (lines.size === 0) return { fraction: 0 };
    let common = 0;
    const shared = new Map<number, number>();
    for (const hash of lines) {
      const ids = this.files.get(hash);
      if (ids === undefined) continue;
      if (ids === COMMON) {
        common++;
        continue;
      }
      for (const id of ids) shared.set(id, (shared.get(id) ?? 0) + 1);
    }
    let best = 0;
    let fileId: number | undefined;
    for (const [id, count] of shared) {
      if (count > best) {
        best = count;
        fileId = id;
      }
    }
    return { fraction: (best + common) / lines.size, fileId };
  }
}
