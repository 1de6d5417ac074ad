// Build: `node esbuild.js [--watch] [--production]`.
//
// dist/extension.js          extension host entry (cjs, node, `vscode` external)
// dist/worker.js             model worker (worker_threads). @huggingface/transformers, onnxruntime-web and
//                            onnxruntime-node's JS are bundled in; nothing is loaded from node_modules at run time.
// dist/native/<plat>-<arch>/ onnxruntime-node's native binding + libonnxruntime for the build platform
//                            (the worker falls back to WASM where it is missing; see copyNative()).
// dist/wasm/                 ort-wasm-simd-threaded.{mjs,wasm}: the two files onnxruntime-web loads in Node
//                            (checked with a traced session run; the jsep/jspi/asyncify variants are browser builds).
//                            The worker must set `ort.env.wasm.wasmPaths` to this folder (never the CDN default).
// dist/webview/attentionPanel.js  attention panel script (browser, iife), when src/webview/attentionPanel.ts exists
// dist/test/integration/index.js  the integration suite (mocha, run inside the extension host); test builds only
// dist/faultWorker.js        the integration tests' model worker (test/harness/faultWorker.ts: fault injection and
//                            statistics around the same loop); test builds only, never in the VSIX (.vscodeignore)
// models/<name>/onnx/        the ONNX graphs, built from models/<name>/model.safetensors where missing or stale
//                            (scripts/model-graphs.ts; the repository stores the weights once)
//
// `sharp` (image decoding, required eagerly by transformers.js) is replaced by a stub: we never decode images.
'use strict';
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const root = __dirname;
const dist = path.join(root, 'dist');

/** transformers.js asks for `sharp` at load time and throws if its default export is falsy. */
const stubSharp = {
  name: 'stub-sharp',
  setup(build) {
    build.onResolve({ filter: /^sharp$/ }, () => ({ path: 'sharp', namespace: 'stub-sharp' }));
    build.onLoad({ filter: /.*/, namespace: 'stub-sharp' }, () => ({
      contents:
        'module.exports = function sharp() { throw new Error("Local GPT: image processing (sharp) is not bundled"); };',
      loader: 'js',
    }));
  },
};

/**
 * Makes the native runtime bundleable and optional:
 * - transformers.js loads onnxruntime-node through `createRequire(...)("onnxruntime-node")`, which a bundler
 *   cannot see; it becomes a plain require, skipped when the worker already chose a runtime through
 *   `globalThis[Symbol.for("onnxruntime")]` (the WASM backend), so a missing native binary does not break WASM.
 * - onnxruntime-node's binding path becomes `dist/native/<platform>-<arch>/onnxruntime_binding.node`.
 */
const patchOrt = {
  name: 'patch-ort',
  setup(build) {
    build.onLoad({ filter: /@huggingface[\\/]transformers[\\/]dist[\\/]transformers\.node\.(cjs|mjs)$/ }, async (args) => {
      const src = await fs.promises.readFile(args.path, 'utf8');
      const from = 'requireFromHere("onnxruntime-node")';
      if (!src.includes(from)) throw new Error(`esbuild.js: ${args.path} no longer contains ${from}; update patch-ort`);
      const to = '(Symbol.for("onnxruntime") in globalThis ? undefined : require("onnxruntime-node"))';
      return { contents: src.replace(from, to), loader: 'js' };
    });
    build.onLoad({ filter: /onnxruntime-node[\\/]dist[\\/]binding\.js$/ }, async (args) => {
      const src = await fs.promises.readFile(args.path, 'utf8');
      const re = /require\(`\.\.\/bin\/napi-v6\/\$\{process\.platform\}\/\$\{process\.arch\}\/onnxruntime_binding\.node`\)/;
      if (!re.test(src)) throw new Error(`esbuild.js: ${args.path}: binding path changed; update patch-ort`);
      const to =
        'require(require("node:path").join(__dirname, "native", `${process.platform}-${process.arch}`, "onnxruntime_binding.node"))';
      return { contents: src.replace(re, to), loader: 'js' };
    });
  },
};

/** Logs each rebuild in watch mode (problem matchers look for these lines). */
const reporter = {
  name: 'reporter',
  setup(build) {
    build.onStart(() => console.log(`[watch] build started (${path.basename(build.initialOptions.outfile ?? build.initialOptions.outdir)})`));
    build.onEnd((r) => {
      for (const e of r.errors) console.error(`✘ ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
      console.log(`[watch] build finished (${path.basename(build.initialOptions.outfile ?? build.initialOptions.outdir)})`);
    });
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  // transformers.js and onnxruntime-web contain `import.meta.url` in code paths Node never takes in cjs.
  logOverride: { 'empty-import-meta': 'silent', 'unsupported-require-call': 'silent', 'direct-eval': 'silent' },
  plugins: watch ? [reporter] : [],
};

const nodeTarget = { platform: 'node', format: 'cjs', target: 'node20' };

/** A model worker bundle: transformers.js and ONNX Runtime's JS bundled in. */
function workerTarget(entry, outfile) {
  return {
    ...common,
    ...nodeTarget,
    entryPoints: [entry],
    outfile,
    plugins: [...common.plugins, stubSharp, patchOrt],
    // `import.meta.url` in the ESM sources of our own code resolves to the bundle's file URL.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: 'const importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  };
}

function targets(opts) {
  const list = [
    { ...common, ...nodeTarget, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
    workerTarget('src/engine/worker.ts', 'dist/worker.js'),
  ];
  if (fs.existsSync(path.join(root, 'src/webview/attentionPanel.ts'))) {
    list.push({
      ...common,
      entryPoints: ['src/webview/attentionPanel.ts'],
      outfile: 'dist/webview/attentionPanel.js',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    });
  }
  if (opts.tests) {
    // Beside dist/worker.js, so that it finds dist/native/ and dist/wasm/ the same way.
    list.push(workerTarget('test/harness/faultWorker.ts', 'dist/faultWorker.js'));
    // The suite's index plus every test file as its own entry: index.js finds `*.test.js` at run time.
    list.push({
      ...common,
      ...nodeTarget,
      minify: false,
      sourcemap: 'inline',
      entryPoints: ['test/integration/index.ts', ...findFiles(path.join(root, 'test/integration'), '.test.ts')],
      outbase: 'test/integration',
      outdir: 'dist/test/integration',
      external: ['vscode', 'mocha'],
    });
  }
  return list;
}

function findFiles(dir, suffix) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? findFiles(path.join(dir, e.name), suffix) : e.name.endsWith(suffix) ? [path.join(dir, e.name)] : []))
    .map((f) => path.relative(root, f));
}

function copyFile(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const s = fs.statSync(from);
  const t = fs.existsSync(to) ? fs.statSync(to) : undefined;
  if (!t || t.size !== s.size || t.mtimeMs < s.mtimeMs) fs.copyFileSync(from, to);
}

/** ONNX Runtime WebAssembly files that onnxruntime-web's Node build loads. */
const WASM_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

function copyWasm() {
  const dir = path.join(root, 'node_modules/onnxruntime-web/dist');
  for (const f of WASM_FILES) copyFile(path.join(dir, f), path.join(dist, 'wasm', f));
}

/** onnxruntime-node's binaries: napi-v6/<platform>/<arch>/. */
const NATIVE_BIN_ROOT = path.join(root, 'node_modules/onnxruntime-node/bin/napi-v6');

/** `<platform>-<arch>` of every native binary onnxruntime-node ships. */
function nativePlatforms() {
  return fs
    .readdirSync(NATIVE_BIN_ROOT)
    .flatMap((p) => fs.readdirSync(path.join(NATIVE_BIN_ROOT, p)).map((a) => `${p}-${a}`))
    .filter((pa) => fs.existsSync(path.join(NATIVE_BIN_ROOT, ...pa.split('-'), 'onnxruntime_binding.node')));
}

/**
 * Files of onnxruntime-node's binaries the CPU runtime never loads (read from the binaries' import tables):
 * - the CUDA/TensorRT providers (large, optional; the CPU provider is in libonnxruntime);
 * - Windows: DirectML.dll (a delay-load import of onnxruntime.dll, loaded only for the DirectML provider), and
 *   dxcompiler.dll / dxil.dll (imported by nothing: GPU shader compilers loaded on demand);
 * - macOS: libonnxruntime.1.30.0.dylib, a byte-identical copy of libonnxruntime.1.dylib (the npm tarball flattens
 *   the symlink); the binding links @rpath/libonnxruntime.1.dylib.
 * Together they would add ~20 MB (compressed) to the Windows and macOS VSIXes.
 */
const UNUSED_NATIVE_FILE = /providers_(cuda|tensorrt)|^(DirectML|dxcompiler|dxil)\.dll$|^libonnxruntime\.\d+\.\d+\.\d+\.dylib$/;

/** The files of one platform's native runtime (relative to its folder). */
function nativeFiles(pa) {
  return fs.readdirSync(path.join(NATIVE_BIN_ROOT, ...pa.split('-'))).filter((f) => !UNUSED_NATIVE_FILE.test(f));
}

/**
 * onnxruntime-node's native binding (+ its shared library) for the build platform only: the binaries of all
 * platforms are ~290 MB. Set LOCAL_GPT_NATIVE_PLATFORMS=all (or e.g. "linux-x64,darwin-arm64", or "" for none) for others.
 */
function copyNative(wanted = process.env.LOCAL_GPT_NATIVE_PLATFORMS ?? `${process.platform}-${process.arch}`) {
  const chosen = wanted === 'all' ? nativePlatforms() : wanted.split(',').map((s) => s.trim()).filter(Boolean);
  fs.rmSync(path.join(dist, 'native'), { recursive: true, force: true });
  for (const pa of chosen) {
    if (!fs.existsSync(path.join(NATIVE_BIN_ROOT, ...pa.split('-')))) {
      console.warn(`esbuild.js: no onnxruntime-node binary for ${pa}; that platform will use WASM`);
      continue;
    }
    for (const f of nativeFiles(pa)) copyFile(path.join(NATIVE_BIN_ROOT, ...pa.split('-'), f), path.join(dist, 'native', pa, f));
  }
}

/** models/<name>/onnx/ from the weights (TypeScript: the project's exporter, run through tsx). */
function buildModelGraphs() {
  const r = require('node:child_process').spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(root, 'scripts/model-graphs.ts')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`esbuild.js: scripts/model-graphs.ts failed (exit ${r.status ?? r.signal})`);
}

async function main() {
  const tests = process.argv.includes('--tests');
  const started = Date.now();
  buildModelGraphs();
  if (!watch) fs.rmSync(dist, { recursive: true, force: true });
  copyWasm();
  copyNative();
  const list = targets({ tests });
  if (watch) {
    for (const t of list) await (await esbuild.context(t)).watch();
    console.log('[watch] watching for changes (Ctrl+C to stop)');
    return;
  }
  await Promise.all(list.map((t) => esbuild.build(t)));
  console.log(`esbuild: ${list.map((t) => t.outfile ?? `${t.outdir}/`).join(', ')}${production ? ' (production)' : ''} in ${Date.now() - started} ms`);
}

module.exports = { stubSharp, patchOrt, nodeTarget, targets, WASM_FILES, copyWasm, nativePlatforms, nativeFiles, copyNative };

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
