/**
 * A short hash of the source files that produce a cached artefact (exported test and benchmark
 * models), so a change to the code that makes them rebuilds them instead of reusing stale ones.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root: the first folder up from here with src/model (this file also runs bundled, from dist/). */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'model'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`sourceHash: no repository root (a folder with src/model) above ${__dirname}`);
  }
}

/** The code every exported model folder depends on: the exporter, random weights, the tokenizer. */
export const EXPORT_SOURCES = ['src/model/export', 'src/model/folderLayout.ts', 'src/model/tokenizer', 'src/model/random.ts', 'src/model/config.ts', 'src/model/weights.ts'];

function tsFiles(p: string): string[] {
  if (!fs.statSync(p).isDirectory()) return p.endsWith('.ts') ? [p] : [];
  return fs.readdirSync(p).flatMap((f) => tsFiles(path.join(p, f)));
}

/** Hash of the contents of every .ts file under `paths` (relative to the repo root, or absolute). */
export function sourceHash(paths: readonly string[]): string {
  const root = repoRoot();
  const files = paths.flatMap((p) => tsFiles(path.resolve(root, p))).sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(path.relative(root, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  return hash.digest('hex').slice(0, 12);
}
