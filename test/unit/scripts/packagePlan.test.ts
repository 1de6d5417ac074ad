/**
 * What goes in which VSIX (scripts/lib/packagePlan.ts + .vscodeignore), checked with vsce's own file
 * lister on a mock extension tree, without packaging; and README's size table is the report's.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import manifest from '../../../package.json';
import {
  BUDGET_MB,
  packagePlan,
  runtimeFiles,
  SIZES_REPORT_FILE,
  vsixFor,
  vsixSizesTable,
  withVsixSizesTable,
  type VsixReport,
} from '../../../scripts/lib/packagePlan';

const ROOT = path.resolve(__dirname, '../../..');
const build = require('../../../esbuild.js') as { WASM_FILES: string[]; nativePlatforms(): string[]; nativeFiles(p: string): string[] };
const vsce = require('@vscode/vsce') as { listFiles(o: { cwd: string; packageManager: number }): Promise<string[]> };

const PLATFORMS = ['darwin-arm64', 'linux-arm64', 'linux-x64', 'win32-arm64', 'win32-x64'];

describe('scripts/packagePlan: one VSIX per platform plus a universal one', function () {
  this.timeout(30_000);

  it('onnxruntime-node 1.30 ships these platforms; each gets a VSIX with only its native runtime, the universal one WebAssembly only', () => {
    assert.deepEqual(build.nativePlatforms(), PLATFORMS);
    const plan = packagePlan('local-gpt', '1.2.3', build.nativePlatforms());
    assert.deepEqual(
      plan.map((p) => [p.target, p.file, p.native, p.wasm, p.budgetMb]),
      [
        ...PLATFORMS.map((t) => [t, `local-gpt-${t}-1.2.3.vsix`, t, false, BUDGET_MB.platform]),
        [null, 'local-gpt-1.2.3.vsix', null, true, BUDGET_MB.universal],
      ],
    );
    assert.deepEqual(runtimeFiles(plan[2], build.nativeFiles, build.WASM_FILES), ['dist/native/linux-x64/libonnxruntime.so.1', 'dist/native/linux-x64/onnxruntime_binding.node']);
    assert.deepEqual(runtimeFiles(plan[5], build.nativeFiles, build.WASM_FILES), ['dist/wasm/ort-wasm-simd-threaded.mjs', 'dist/wasm/ort-wasm-simd-threaded.wasm']);
    // Only what the CPU runtime loads: no DirectML/shader-compiler DLLs, no second copy of the macOS dylib.
    assert.deepEqual(build.nativeFiles('win32-x64'), ['onnxruntime.dll', 'onnxruntime_binding.node']);
    assert.deepEqual(build.nativeFiles('win32-arm64'), ['onnxruntime.dll', 'onnxruntime_binding.node']);
    assert.deepEqual(build.nativeFiles('darwin-arm64'), ['libonnxruntime.1.dylib', 'onnxruntime_binding.node']);
    assert.deepEqual(build.nativeFiles('linux-arm64'), ['libonnxruntime.so.1', 'onnxruntime_binding.node']);
  });

  it('--target builds one; an unknown target names the choices; an installation gets its platform VSIX, else the universal one', () => {
    assert.deepEqual(packagePlan('x', '1', PLATFORMS, 'linux-x64').map((p) => p.file), ['x-linux-x64-1.vsix']);
    assert.deepEqual(packagePlan('x', '1', PLATFORMS, 'universal').map((p) => p.file), ['x-1.vsix']);
    assert.throws(() => packagePlan('x', '1', PLATFORMS, 'darwin-x64'), { message: '--target darwin-x64: not a target here; one of darwin-arm64, linux-arm64, linux-x64, win32-arm64, win32-x64, universal' });
    const plan = packagePlan('x', '1', PLATFORMS);
    assert.equal(vsixFor(plan, 'linux-x64').file, 'x-linux-x64-1.vsix');
    assert.equal(vsixFor(plan, 'darwin-x64').file, 'x-1.vsix');
  });

  it('.vscodeignore: each VSIX holds its runtime, the int8 graph once, no fp32 graph, weights, sources, maps or tests', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vsix-plan-'));
    try {
      const put = (rel: string) => {
        fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
        fs.writeFileSync(path.join(tmp, rel), rel);
      };
      for (const f of ['package.json', '.vscodeignore', 'README.md', 'LICENSE']) fs.copyFileSync(path.join(ROOT, f), path.join(tmp, f));
      const shipped = [
        'dist/extension.js', 'dist/worker.js', 'dist/webview/attentionPanel.js', 'media/local-gpt.svg',
        'models/m/config.json', 'models/m/generation_config.json', 'models/m/tokenizer.json', 'models/m/tokenizer_config.json', 'models/m/README.md',
        'models/m/onnx/model_quantized.onnx',
      ];
      const left = [
        'dist/extension.js.map', 'dist/worker.js.map', 'dist/test/integration/index.js', 'models/m/model.safetensors', 'models/m/onnx/model.onnx',
        'models/m/onnx/model_attentions.onnx', 'models/m/onnx/SOURCE_KEY', 'src/extension/extension.ts', 'test/unit/x.test.ts', 'bench/results/vsix-sizes.json',
        'training/native/train.c', 'local-gpt-0.1.0.vsix',
      ];
      for (const f of [...shipped, ...left]) put(f);
      for (const plan of packagePlan('local-gpt', '0.1.0', PLATFORMS)) {
        fs.rmSync(path.join(tmp, 'dist/native'), { recursive: true, force: true });
        fs.rmSync(path.join(tmp, 'dist/wasm'), { recursive: true, force: true });
        const runtime = runtimeFiles(plan, build.nativeFiles, build.WASM_FILES);
        for (const f of runtime) put(f);
        const listed = (await vsce.listFiles({ cwd: tmp, packageManager: 2 })).map((f) => f.split(path.sep).join('/')).sort();
        assert.deepEqual(listed, [...shipped, ...runtime, 'LICENSE', 'README.md', 'package.json'].sort(), plan.file);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it(`README's size table is generated from ${SIZES_REPORT_FILE} (npm run package rewrites both)`, () => {
    const report = JSON.parse(fs.readFileSync(path.join(ROOT, SIZES_REPORT_FILE), 'utf8')) as VsixReport;
    assert.equal(report.version, manifest.version);
    assert.deepEqual(report.vsix.map((v) => v.target), [...PLATFORMS, 'universal']);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.equal(withVsixSizesTable(readme, report), readme);
    assert.ok(readme.includes(vsixSizesTable(report)));
  });

  it('the table marks a VSIX over its budget', () => {
    const report: VsixReport = {
      version: '1', command: 'npm run package', model: { name: 'm', file: 'onnx/model_quantized.onnx', bytes: 5_000_000 },
      vsix: [
        { target: 'linux-x64', file: 'a.vsix', bytes: 25_000_001, budgetMb: 25, runtime: 'native linux-x64', files: 3 },
        { target: 'universal', file: 'b.vsix', bytes: 9_040_000, budgetMb: 15, runtime: 'WebAssembly', files: 3 },
      ],
    };
    const table = vsixSizesTable(report);
    assert.ok(table.includes('| linux-x64 | `a.vsix` | native linux-x64 | 25.0 MB | 25 MB | **no** |'), table);
    assert.ok(table.includes('| universal | `b.vsix` | WebAssembly | 9.0 MB | 15 MB | yes |'), table);
    assert.throws(() => withVsixSizesTable('# no markers', report), /README\.md: the markers .* are missing/);
  });
});
