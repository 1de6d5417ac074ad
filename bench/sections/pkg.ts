/**
 * Package section: the VSIX size and the extension's activation time. The VSIX is `local-gpt-*.vsix`
 * at the repository root (built by `npm run package`, which `--vsix` runs first). The activation
 * time is what the integration suite prints ("activation time: N ms"), read from a log under
 * test-results/ when one was saved there; this run does not start VS Code itself.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../lib/models';
import type { PackageResults } from '../lib/types';

/** The activation time printed by test/integration/extension.test.ts, from a saved log text. */
export function parseActivationMs(text: string): number | null {
  const matches = [...text.matchAll(/activation time: ([\d.]+) ms/g)];
  if (matches.length === 0) return null;
  return Number(matches[matches.length - 1][1]);
}

function findFiles(dir: string, pattern: RegExp, depth = 3): string[] {
  if (!fs.existsSync(dir) || depth < 0) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, pattern, depth - 1));
    else if (pattern.test(e.name)) out.push(p);
  }
  return out;
}

export function measurePackage(opts: { buildVsix: boolean; log: (line: string) => void }): PackageResults {
  if (opts.buildVsix) {
    opts.log('npm run package (--vsix)');
    execFileSync('npm', ['run', 'package'], { cwd: ROOT, stdio: 'inherit' });
  }
  const vsixFiles = fs
    .readdirSync(ROOT)
    .filter((f) => /^local-gpt-.*\.vsix$/.test(f))
    .map((f) => path.join(ROOT, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  const vsix = vsixFiles.length
    ? { file: path.basename(vsixFiles[0]), bytes: fs.statSync(vsixFiles[0]).size }
    : { note: 'no local-gpt-*.vsix at the repository root (run with --vsix to build one)' };

  let activation: PackageResults['activation'] = { note: 'not measured in this run (no integration test log with "activation time" under test-results/)' };
  const logs = findFiles(path.join(ROOT, 'test-results'), /\.(log|txt)$/).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  for (const file of logs) {
    const ms = parseActivationMs(fs.readFileSync(file, 'utf8'));
    if (ms !== null) {
      activation = { ms, source: `${path.relative(ROOT, file)} (${new Date(fs.statSync(file).mtimeMs).toISOString()})` };
      break;
    }
  }
  return { vsix, activation };
}
