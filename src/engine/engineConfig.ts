/** The worker's start options and model load from the settings: the one mapping the extension and the scripts share. */
import type { Settings } from '../config/settings';
import type { ModelSource } from './protocol';
import type { EngineConfig } from './workerClient';

/**
 * `source`: the `localGpt.model` setting already resolved (./modelSource.ts); `wasmPaths`: the folder of
 * ONNX Runtime's WebAssembly files; `cacheDir`: where downloaded models live.
 */
export function engineConfigFor(
  settings: Pick<Settings, 'backend' | 'threads' | 'quantized' | 'allowDownloads' | 'remoteHost'>,
  where: { source: ModelSource; wasmPaths: string; cacheDir: string },
): EngineConfig {
  return {
    start: { backend: settings.backend, threads: settings.threads, wasmPaths: where.wasmPaths },
    load: { source: where.source, quantized: settings.quantized, cacheDir: where.cacheDir, allowDownloads: settings.allowDownloads, remoteHost: settings.remoteHost },
  };
}
