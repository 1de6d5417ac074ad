// `npm run package [-- --target <platform>-<arch> | universal]`: a production build, then one VSIX per platform
// plus the universal one (scripts/lib/packagePlan.ts says what goes where), each checked against its plan
// before vsce packs it. Building all of them writes the sizes to bench/results/vsix-sizes.json and README's table.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import manifest from '../package.json';
import { ONNX_FILES } from '../src/model/folderLayout';
import { packagePlan, runtimeFiles, SIZES_REPORT_FILE, UNIVERSAL, withVsixSizesTable, type VsixPlan, type VsixReport, type VsixSize } from './lib/packagePlan';

const ROOT = path.resolve(__dirname, '..');
const SIZES_REPORT = path.join(ROOT, SIZES_REPORT_FILE);

/** What esbuild.js exports for packaging (plain JS, so typed here). */
interface BuildScript {
  WASM_FILES: string[];
  copyWasm(): void;
  nativePlatforms(): string[];
  nativeFiles(platform: string): string[];
  copyNative(wanted?: string): void;
}
/** The part of @vscode/vsce's API used here (it ships no types). */
interface Vsce {
  listFiles(options: { cwd: string; packageManager: number }): Promise<string[]>;
}
const VSCE_NO_PACKAGE_MANAGER = 2; // PackageManager.None: node_modules is never packed (--no-dependencies)

const build = require('../esbuild.js') as BuildScript;
const vsce = require('@vscode/vsce') as Vsce;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`${path.basename(args[0] ?? command)} ${args.slice(1).join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Puts exactly the plan's runtime into dist/, lists what vsce would pack, and checks it against the plan. */
async function stage(plan: VsixPlan): Promise<string[]> {
  build.copyNative(plan.native ?? '');
  fs.rmSync(path.join(ROOT, 'dist', 'wasm'), { recursive: true, force: true });
  if (plan.wasm) build.copyWasm();
  const files = (await vsce.listFiles({ cwd: ROOT, packageManager: VSCE_NO_PACKAGE_MANAGER })).map((f) => f.split(path.sep).join('/')).sort();
  const runtime = files.filter((f) => f.startsWith('dist/native/') || f.startsWith('dist/wasm/'));
  const expected = runtimeFiles(plan, build.nativeFiles, build.WASM_FILES);
  if (runtime.join('\n') !== expected.join('\n')) throw new Error(`${plan.file}: runtime files ${JSON.stringify(runtime)}, expected ${JSON.stringify(expected)} (check .vscodeignore)`);
  const modelGraphs = files.filter((f) => /^models\/[^/]+\/onnx\//.test(f));
  const expectedGraphs = modelGraphs.filter((f) => f.endsWith(`/${ONNX_FILES.q8}`));
  if (modelGraphs.length !== 1 || expectedGraphs.length !== 1) throw new Error(`${plan.file}: model graphs ${JSON.stringify(modelGraphs)}, expected one ${ONNX_FILES.q8} (check .vscodeignore)`);
  return files;
}

async function main(): Promise<void> {
  const o = new Command()
    .name('package')
    .description('Build the VSIXes: one per platform with its native ONNX Runtime, and a universal one with the WebAssembly runtime')
    .option('--target <target>', `one VSIX only: a platform (e.g. linux-x64) or "${UNIVERSAL}"`)
    .option('--no-build', 'reuse the existing production build in dist/')
    .parse()
    .opts<{ target?: string; build: boolean }>();
  const plans = packagePlan(manifest.name, manifest.version, build.nativePlatforms(), o.target);
  if (o.build) run(process.execPath, [path.join(ROOT, 'esbuild.js'), '--production'], { ...process.env, LOCAL_GPT_NATIVE_PLATFORMS: '' });
  const vsceBin = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  const sizes: VsixSize[] = [];
  try {
    for (const plan of plans) {
      const files = await stage(plan);
      const out = path.join(ROOT, plan.file);
      fs.rmSync(out, { force: true });
      const target = plan.target ? ['--target', plan.target] : [];
      run(process.execPath, [vsceBin, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', ...target, '--out', out]);
      const bytes = fs.statSync(out).size;
      sizes.push({ target: plan.target ?? UNIVERSAL, file: plan.file, bytes, budgetMb: plan.budgetMb, runtime: plan.native ? `native ${plan.native}` : 'WebAssembly', files: files.length });
      const over = bytes > plan.budgetMb * 1e6 ? ` — OVER the ${plan.budgetMb} MB budget` : '';
      console.log(`package: ${plan.file}: ${(bytes / 1e6).toFixed(1)} MB, ${files.length} files${over}`);
    }
  } finally {
    // Leave dist/ as a production build for this machine (native runtime of this platform + WebAssembly).
    build.copyNative();
    build.copyWasm();
  }
  if (o.target !== undefined) return;
  const embedded = manifest.localGpt.embeddedModel;
  const graph = `models/${embedded}/${ONNX_FILES.q8}`;
  const report: VsixReport = {
    version: manifest.version,
    command: 'npm run package',
    model: { name: embedded, file: ONNX_FILES.q8, bytes: fs.statSync(path.join(ROOT, graph)).size },
    vsix: sizes,
  };
  fs.mkdirSync(path.dirname(SIZES_REPORT), { recursive: true });
  fs.writeFileSync(SIZES_REPORT, JSON.stringify(report, null, 2) + '\n');
  const readme = path.join(ROOT, 'README.md');
  fs.writeFileSync(readme, withVsixSizesTable(fs.readFileSync(readme, 'utf8'), report));
  console.log(`package: sizes in ${path.relative(ROOT, SIZES_REPORT)} and README.md`);
}

main().catch((e: unknown) => {
  console.error(`package: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
