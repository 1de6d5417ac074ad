/**
 * How the host starts the model worker thread: the `WorkerFactory` type `WorkerClient`
 * (./workerClient.ts) is given, and the factory for the bundled `dist/worker.js` with its heap limit,
 * which the extension, the CLIs and the integration tests use. Apart from the client because starting
 * a thread is the one part that differs between the bundle and the TypeScript sources
 * (./sourceWorker.ts), and it needs nothing of the client's lifecycle.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerStartOptions } from './protocol';

/** Starts a worker thread with the given `workerData`. */
export type WorkerFactory = (workerData: WorkerStartOptions) => Worker;

/**
 * V8 heap limit of the worker thread, MB. The model's weights and ONNX Runtime's buffers live outside
 * the JS heap (native or WebAssembly memory); the heap holds the tokenizer and per-request arrays, far
 * below this. A runaway worker hits the limit and is stopped by Node (ERR_WORKER_OUT_OF_MEMORY), the
 * client restarts it, and the extension host never runs out of memory itself.
 */
export const WORKER_HEAP_LIMIT_MB = 1024;

/** The bundled worker (`dist/worker.js`), as the extension runs it. */
export function bundledWorker(workerPath: string, heapLimitMb = WORKER_HEAP_LIMIT_MB): WorkerFactory {
  return (workerData) => new Worker(workerPath, { workerData, resourceLimits: { maxOldGenerationSizeMb: heapLimitMb } });
}
