// `npm run package` for this machine's VSIX and the path of its output, shared by the e2e runner and `npm start`:
// the platform VSIX (this platform's native runtime, as users of this platform install it), or the universal
// one where onnxruntime-node has no binary for this platform (scripts/lib/packagePlan.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packagePlan, UNIVERSAL, vsixFor, type VsixPlan } from '../../scripts/lib/packagePlan';
import { REPO_ROOT } from './install-code-server';

function manifest(): { name: string; version: string } {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
}

export function manifestVersion(): string {
  return manifest().version;
}

/** The VSIX this machine installs. */
function machineVsix(platform = `${process.platform}-${process.arch}`): VsixPlan {
  const build = require(path.join(REPO_ROOT, 'esbuild.js')) as { nativePlatforms(): string[] };
  const { name, version } = manifest();
  return vsixFor(packagePlan(name, version, build.nativePlatforms()), platform);
}

/** Runs `npm run package -- --target <this machine's>` (unless `reuse` and the VSIX exists) and returns the VSIX path. */
export function packageVsix(opts: { reuse?: boolean } = {}): string {
  const plan = machineVsix();
  const vsix = path.join(REPO_ROOT, plan.file);
  if (!(opts.reuse && fs.existsSync(vsix))) {
    const t = Date.now();
    const r = spawnSync('npm', ['run', '--silent', 'package', '--', '--target', plan.target ?? UNIVERSAL], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run package -- --target ${plan.target ?? UNIVERSAL} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    console.log(`packaged ${path.basename(vsix)} (${(fs.statSync(vsix).size / 1e6).toFixed(1)} MB) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} not found after npm run package`);
  return vsix;
}
