/**
 * CodeXGLUE-style line completion on held-out source files (data/corpus/val-files.jsonl):
 * the model sees the file up to a line's indentation and first word (identifier, number or one
 * punctuation character), greedily generates to the end of the line, and is scored by exact
 * match and edit similarity (1 - Levenshtein / longer length) against the rest of the line,
 * both with trailing whitespace removed. Lines are chosen deterministically: up to `perFile`
 * evenly spaced eligible lines per file, files in file order, until `maxLines`.
 */
import * as fs from 'node:fs';

interface ValFile {
  package: string;
  path: string;
  text: string;
}

export interface LineSample {
  file: string;
  line: number; // 0-based
  /** Text before the completion point (may be cut to its last `maxPrefixChars`, at a line start). */
  prefix: string;
  /** Whether `prefix` starts at the beginning of the file (so the document separator precedes it). */
  fileStart: boolean;
  /** Expected rest of the line. */
  target: string;
  /** The lines after it (from the next line start, at most `maxSuffixChars`, cut at a line end): the suffix of a FIM prompt. */
  suffix: string;
}

const LINE = /^(\s*)([A-Za-z_$][\w$]*|\d+|\S)(.*)$/;

export function readValFiles(file: string): ValFile[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read held-out files (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run \`npm run corpus\``);
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const v = JSON.parse(l) as ValFile;
      if (typeof v.text !== 'string') throw new Error(`${file}:${i + 1}: expected {package, path, text}`);
      return v;
    });
}

export function selectLines(files: readonly ValFile[], maxLines: number, perFile = 3, maxPrefixChars = 4000, maxSuffixChars = 1500): LineSample[] {
  const out: LineSample[] = [];
  for (const f of files) {
    if (out.length >= maxLines) break;
    const lines = f.text.split('\n');
    const eligible: number[] = [];
    for (let i = 1; i < lines.length; i++) {
      const m = LINE.exec(lines[i]);
      if (m && lines[i].length <= 200 && m[3].trim().length > 0) eligible.push(i);
    }
    const take = Math.min(perFile, eligible.length);
    for (let k = 0; k < take && out.length < maxLines; k++) {
      const i = eligible[Math.floor(((k + 0.5) * eligible.length) / take)];
      const m = LINE.exec(lines[i])!;
      let prefix = lines.slice(0, i).join('\n') + '\n' + m[1] + m[2];
      let fileStart = true;
      if (prefix.length > maxPrefixChars) {
        const cut = prefix.slice(prefix.length - maxPrefixChars);
        prefix = cut.slice(cut.indexOf('\n') + 1);
        fileStart = false;
      }
      let suffix = lines.slice(i + 1).join('\n');
      if (suffix.length > maxSuffixChars) suffix = suffix.slice(0, suffix.lastIndexOf('\n', maxSuffixChars) + 1);
      out.push({ file: `${f.package}/${f.path}`, line: i, prefix, fileStart, target: m[3].trimEnd(), suffix });
    }
  }
  return out;
}

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** 1 - edit distance / length of the longer string (1 for two empty strings). */
export function editSimilarity(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  return n === 0 ? 1 : 1 - levenshtein(a, b) / n;
}
