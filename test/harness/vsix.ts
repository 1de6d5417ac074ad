// `npm run package` and the path of its output, shared by the e2e runner and `npm start`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './install-code-server';

export function manifestVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `local-gpt-<version>.vsix` at the repo root. */
export function vsixPath(): string {
  return path.join(REPO_ROOT, `local-gpt-${manifestVersion()}.vsix`);
}

/** Runs `npm run package` (unless `reuse` and the VSIX exists) and returns the VSIX path. */
export function packageVsix(opts: { reuse?: boolean } = {}): string {
  const vsix = vsixPath();
  if (!(opts.reuse && fs.existsSync(vsix))) {
    const t = Date.now();
    const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run package failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    console.log(`packaged ${path.basename(vsix)} (${(fs.statSync(vsix).size / 1048576).toFixed(1)} MB) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} not found after npm run package`);
  return vsix;
}
