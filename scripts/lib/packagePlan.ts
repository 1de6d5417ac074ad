/**
 * Which VSIXes `npm run package` builds and which runtime each carries (scripts/package.ts runs it):
 *
 * - one per platform onnxruntime-node ships a binary for (`vsce package --target <platform>-<arch>`), with
 *   that platform's native runtime only (dist/native/<platform>-<arch>/), no WebAssembly runtime;
 * - one universal VSIX (no --target: VS Code installs it where no platform VSIX fits) with the
 *   WebAssembly runtime only (dist/wasm/).
 *
 * Every VSIX holds the embedded model's int8 graph once (.vscodeignore). Why platform VSIXes carry no
 * WebAssembly runtime: with it, linux-x64 would be ~3.7 MB (compressed) over its 25 MB budget, and the
 * native runtime serves `auto` there anyway; `wasm` then fails with a message naming the universal VSIX
 * (src/engine/backend.ts missingWasmMessage).
 */

/** The universal VSIX's name in `--target` and in reports. */
export const UNIVERSAL = 'universal';

/** Size budgets with today's model (MB = 10^6 bytes), from issue #15. */
export const BUDGET_MB = { platform: 25, universal: 15 } as const;

export interface VsixPlan {
  /** vsce `--target`, or null for the universal VSIX. */
  target: string | null;
  /** File name at the repo root (vsce's own naming: `<name>-<target>-<version>.vsix`). */
  file: string;
  /** `<platform>-<arch>` whose native runtime goes into dist/native/, or null. */
  native: string | null;
  /** Whether dist/wasm/ (the WebAssembly runtime) goes in. */
  wasm: boolean;
  budgetMb: number;
}

function vsixFile(name: string, version: string, target: string | null): string {
  return target ? `${name}-${target}-${version}.vsix` : `${name}-${version}.vsix`;
}

/**
 * The VSIXes to build: every platform in `nativePlatforms` plus the universal one, or only `only`
 * (a platform or "universal"). Throws naming the choices for an unknown `only`.
 */
export function packagePlan(name: string, version: string, nativePlatforms: readonly string[], only?: string): VsixPlan[] {
  const all: VsixPlan[] = [
    ...[...nativePlatforms].sort().map((p) => ({ target: p, file: vsixFile(name, version, p), native: p, wasm: false, budgetMb: BUDGET_MB.platform })),
    { target: null, file: vsixFile(name, version, null), native: null, wasm: true, budgetMb: BUDGET_MB.universal },
  ];
  if (only === undefined) return all;
  const chosen = all.filter((p) => (p.target ?? UNIVERSAL) === only);
  if (chosen.length === 0) throw new Error(`--target ${only}: not a target here; one of ${all.map((p) => p.target ?? UNIVERSAL).join(', ')}`);
  return chosen;
}

/** The VSIX an installation on `platform` (`<process.platform>-<process.arch>`) should use. */
export function vsixFor(plan: readonly VsixPlan[], platform: string): VsixPlan {
  const found = plan.find((p) => p.target === platform) ?? plan.find((p) => p.target === null);
  if (!found) throw new Error(`no VSIX in the plan fits ${platform}`);
  return found;
}

/** The runtime files of a VSIX under dist/ (relative to the extension root). */
export function runtimeFiles(plan: VsixPlan, nativeFiles: (platform: string) => readonly string[], wasmFiles: readonly string[]): string[] {
  return [
    ...(plan.native ? nativeFiles(plan.native).map((f) => `dist/native/${plan.native}/${f}`) : []),
    ...(plan.wasm ? wasmFiles.map((f) => `dist/wasm/${f}`) : []),
  ].sort();
}

// ---------------------------------------------------------------------------------------------
// The size report (bench/results/vsix-sizes.json) and README's table made from it.

export interface VsixSize {
  target: string;
  file: string;
  bytes: number;
  budgetMb: number;
  /** Runtime in the VSIX: "native <platform>" or "WebAssembly". */
  runtime: string;
  files: number;
}

export interface VsixReport {
  version: string;
  /** The command that wrote the report. */
  command: string;
  /** The embedded model and the size of the int8 graph every VSIX carries. */
  model: { name: string; file: string; bytes: number };
  vsix: VsixSize[];
}

/** Where `npm run package` (all targets) writes the report, relative to the repo root. */
export const SIZES_REPORT_FILE = 'bench/results/vsix-sizes.json';
const SIZES_BEGIN = `<!-- VSIX-SIZES:BEGIN (generated from ${SIZES_REPORT_FILE} by scripts/lib/packagePlan.ts) -->`;
const SIZES_END = '<!-- VSIX-SIZES:END -->';

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

export function vsixSizesTable(report: VsixReport): string {
  const rows = report.vsix.map(
    (v) => `| ${v.target} | \`${v.file}\` | ${v.runtime} | ${mb(v.bytes)} MB | ${v.budgetMb} MB | ${v.bytes <= v.budgetMb * 1e6 ? 'yes' : '**no**'} |`,
  );
  return [
    `Measured by \`${report.command}\` (version ${report.version}; every VSIX holds \`${report.model.file}\` of ${report.model.name}, ${mb(report.model.bytes)} MB uncompressed):`,
    '',
    '| target | file | runtime | size | budget | within |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** README text with the generated table between the markers (which must exist). */
export function withVsixSizesTable(readme: string, report: VsixReport): string {
  const begin = readme.indexOf(SIZES_BEGIN);
  const end = readme.indexOf(SIZES_END);
  if (begin < 0 || end < begin) throw new Error(`README.md: the markers ${SIZES_BEGIN} … ${SIZES_END} are missing`);
  return `${readme.slice(0, begin + SIZES_BEGIN.length)}\n${vsixSizesTable(report)}\n${readme.slice(end)}`;
}
