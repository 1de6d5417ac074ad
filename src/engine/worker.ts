/**
 * Model worker entry (`dist/worker.js`, a `worker_threads` Worker). `workerData` is a
 * `WorkerStartOptions`: the backend is chosen and installed here, before transformers.js is imported,
 * so changing it means starting a new worker. Then every message goes to `WorkerCore`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as os from 'node:os';
import { chooseBackend, findNativeBinding, nativeBindingCandidates, startBackend, threadCount } from './backend';
import { checks, type WorkerStartOptions, type WorkerToHost } from './protocol';
import { WorkerCore } from './workerCore';

const startCheck = checks.object({
  backend: checks.oneOf('auto', 'native', 'wasm'),
  threads: checks.num({ int: true, min: 0 }),
  wasmPaths: checks.str,
});

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('src/engine/worker.ts must run as a worker_threads Worker');
  const post = (message: WorkerToHost) => port.postMessage(message);
  const fail = (message: string) => {
    post({ type: 'error', id: null, code: 'backendFailed', message });
    port.close();
  };

  const problem = startCheck(workerData, 'workerData');
  if (problem) return fail(`Local GPT worker: ${problem}`);
  const options = workerData as WorkerStartOptions;

  // Messages that arrive while the runtime starts wait here, in order.
  const early: unknown[] = [];
  let core: WorkerCore | null = null;
  port.on('message', (data: unknown) => (core ? void core.handle(data) : early.push(data)));

  let choice;
  let transformers;
  const threads = threadCount(options.threads, os.availableParallelism());
  try {
    choice = chooseBackend(options.backend, findNativeBinding(nativeBindingCandidates(__dirname)));
    transformers = await startBackend(choice.backend, { wasmPaths: options.wasmPaths, threads });
  } catch (e) {
    return fail(`Local GPT worker: could not start ONNX Runtime: ${(e as Error).message}`);
  }
  const ready = new WorkerCore({
    transformers,
    backend: choice.backend,
    threads,
    post,
    onDisposed: () => setImmediate(() => process.exit(0)),
  });
  post({ type: 'started', backend: choice.backend, reason: `${choice.reason}; ${threads} thread${threads === 1 ? '' : 's'}` });
  core = ready;
  for (const data of early.splice(0)) void ready.handle(data);
}

void main();
