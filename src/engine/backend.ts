/**
 * The backend boundary: which ONNX Runtime the worker runs on, decided once at worker start,
 * before transformers.js is imported (transformers.js picks its runtime at import time).
 *
 * - native: `onnxruntime-node` (a native binding; the default where its binary exists).
 * - wasm: `onnxruntime-web` (WebAssembly, SIMD + threads). transformers.js 4.x refuses
 *   `device: 'wasm'` in Node, so the worker registers onnxruntime-web as "the JS runtime's ONNX
 *   Runtime" (`globalThis[Symbol.for('onnxruntime')]`), points `env.wasm.wasmPaths` at a local
 *   folder (never a CDN) and loads models with `device: 'auto'`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendName, BackendRequest } from './protocol';

export type Transformers = typeof import('@huggingface/transformers');

interface BackendChoice {
  backend: BackendName;
  /** Why, in words for the log. */
  reason: string;
}

/**
 * Where onnxruntime-node's binding may be: next to the bundle (`dist/native/<platform>-<arch>/`,
 * copied there by esbuild.js) or in node_modules when running from source (tests, CLI).
 */
export function nativeBindingCandidates(bundleDir: string, platform = process.platform, arch = process.arch): string[] {
  const candidates = [path.join(bundleDir, 'native', `${platform}-${arch}`, 'onnxruntime_binding.node')];
  try {
    const pkg = require.resolve('onnxruntime-node/package.json');
    candidates.push(path.join(path.dirname(pkg), 'bin', 'napi-v6', platform, arch, 'onnxruntime_binding.node'));
  } catch {
    // not installed: only the bundled copy can exist
  }
  return candidates;
}

export function findNativeBinding(candidates: readonly string[], exists: (p: string) => boolean = fs.existsSync): string | null {
  return candidates.find((p) => exists(p)) ?? null;
}

/** The backend for a request, given whether the native binding exists on this platform. */
export function chooseBackend(request: BackendRequest, nativeBinding: string | null, platform = `${process.platform}-${process.arch}`): BackendChoice {
  switch (request) {
    case 'native':
      if (nativeBinding) return { backend: 'native', reason: 'localGpt.backend is "native"' };
      throw new Error(
        `localGpt.backend is "native" but onnxruntime-node has no binary for ${platform}. ` +
          'Set localGpt.backend to "auto" or "wasm" to use the WebAssembly runtime.',
      );
    case 'wasm':
      return { backend: 'wasm', reason: 'localGpt.backend is "wasm"' };
    case 'auto':
      return nativeBinding
        ? { backend: 'native', reason: `auto: onnxruntime-node has a binary for ${platform}` }
        : { backend: 'wasm', reason: `auto: onnxruntime-node has no binary for ${platform}, using WebAssembly` };
  }
}

/** Threads for inference: the setting, or half the cores (the editor and the language servers need the rest). */
export function threadCount(setting: number, cores: number): number {
  return setting > 0 ? setting : Math.max(1, Math.floor(cores / 2));
}

const ORT_SYMBOL = Symbol.for('onnxruntime');

/**
 * The WebAssembly runtime ships in the universal VSIX only; each platform VSIX carries its native runtime
 * instead (scripts/lib/packagePlan.ts), where `auto` and `native` work and `wasm` gets this message.
 */
function missingWasmMessage(wasmFile: string): string {
  return (
    `localGpt.backend is "wasm" but this installation has no WebAssembly runtime (${wasmFile} does not exist). ` +
    'The platform VSIX of Local GPT carries only the native ONNX Runtime of its platform: set localGpt.backend to "auto" or "native", ' +
    'or install the universal VSIX (local-gpt-<version>.vsix, WebAssembly only) to run on WebAssembly. From source: run `npm run build`.'
  );
}

/**
 * Makes the chosen runtime the one transformers.js will use, then imports transformers.js.
 * Must run once per process, before anything else imports transformers.js.
 */
export async function startBackend(backend: BackendName, options: { wasmPaths: string; threads: number }): Promise<Transformers> {
  if (backend === 'wasm') {
    const wasmFile = path.join(options.wasmPaths, 'ort-wasm-simd-threaded.wasm');
    if (!fs.existsSync(wasmFile)) throw new Error(missingWasmMessage(wasmFile));
    const ort = await import('onnxruntime-web');
    // A folder path (trailing separator): onnxruntime-web appends the file names.
    ort.env.wasm.wasmPaths = options.wasmPaths.endsWith(path.sep) ? options.wasmPaths : options.wasmPaths + path.sep;
    ort.env.wasm.numThreads = options.threads;
    ort.env.wasm.proxy = false;
    (globalThis as Record<symbol, unknown>)[ORT_SYMBOL] = ort;
  } else if (ORT_SYMBOL in globalThis) {
    throw new Error('internal: the WebAssembly runtime is already registered in this process; the native backend needs a new worker');
  }
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false; // downloads go through src/engine/download.ts only
  transformers.env.allowLocalModels = true;
  transformers.env.useFSCache = false;
  transformers.env.useBrowserCache = false;
  return transformers;
}

/**
 * Session options for `from_pretrained`: the device and the thread count, per backend. Native
 * worker threads do not spin while waiting for work: spinning keeps a core busy between the small
 * kernels of a decode step, which on a machine with few cores is taken from the editor (2-thread
 * decode was 3x slower with spinning than without on 2 busy cores, bench/results/options-2026-11-29.json).
 */
export function sessionOptionsFor(backend: BackendName, threads: number): { device: 'auto' | 'cpu'; session_options: Record<string, unknown> } {
  if (backend === 'wasm') return { device: 'auto', session_options: {} }; // threads: env.wasm.numThreads
  return {
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } },
  };
}
