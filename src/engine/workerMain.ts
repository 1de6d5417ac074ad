/**
 * The model worker's main loop (a `worker_threads` Worker). `workerData` is a `WorkerStartOptions`: the
 * backend is chosen and installed here, before transformers.js is imported, so changing it means starting
 * a new worker. Then every message goes to `WorkerCore`.
 *
 * `src/engine/worker.ts` (dist/worker.js, what the extension runs) calls `runWorker()` with no hook.
 * The integration tests' worker (test/harness/faultWorker.ts, dist/faultWorker.js, built by
 * `node esbuild.js --tests` only) passes a `WorkerHook` that sees every message both ways and every
 * model run: fault injection and statistics exist only in that bundle.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as os from 'node:os';
import { chooseBackend, findNativeBinding, nativeBindingCandidates, startBackend, threadCount, type Transformers } from './backend';
import { NativeActivity } from './nativeActivity';
import { num, object, oneOf, str } from '../validation/checks';
import { BACKEND_REQUESTS, type WorkerStartOptions, type WorkerToHost } from './protocol';
import { WorkerCore } from './workerCore';

const startCheck = object({
  backend: oneOf(BACKEND_REQUESTS),
  threads: num({ int: true, min: 0 }),
  wasmPaths: str,
});

/** What a test worker adds around the production loop. */
export interface WorkerHook {
  /** Every message from the host, before WorkerCore sees it. */
  received(data: unknown): void;
  /** Every message to the host goes through this instead of straight to the port. */
  post(message: WorkerToHost, send: (message: WorkerToHost) => void): void;
  /** The runtime the models are loaded with. */
  wrapTransformers(transformers: Transformers): Transformers;
}

export async function runWorker(hook?: WorkerHook): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('the Local GPT model worker must run as a worker_threads Worker');
  const send = (message: WorkerToHost) => port.postMessage(message);
  const post = hook ? (message: WorkerToHost) => hook.post(message, send) : send;
  const fail = (message: string) => {
    post({ type: 'error', id: null, code: 'backendFailed', message });
    port.close();
  };

  const problem = startCheck(workerData, 'workerData');
  if (problem) return fail(`Local GPT worker: ${problem}`);
  const options = workerData as WorkerStartOptions;
  const activity = new NativeActivity(options.nativeActivity instanceof SharedArrayBuffer ? options.nativeActivity : undefined);
  // An uncaught error ends the thread, but not while ONNX Runtime works for it (that would abort the
  // whole process, see nativeActivity.ts): wait for the call to return, then end it with the same error.
  const onUncaught = (error: unknown) => {
    process.off('uncaughtException', onUncaught);
    activity.stopWhenIdle(() =>
      setImmediate(() => {
        throw error;
      }),
    );
  };
  process.on('uncaughtException', onUncaught);

  // Messages that arrive while the runtime starts wait here, in order.
  const early: unknown[] = [];
  let core: WorkerCore | null = null;
  const handle = (data: unknown) => {
    hook?.received(data);
    if (core) void core.handle(data);
    else early.push(data);
  };
  port.on('message', handle);

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
    transformers: activity.wrap(hook ? hook.wrapTransformers(transformers) : transformers),
    backend: choice.backend,
    threads,
    post,
    onDisposed: () => activity.stopWhenIdle(() => setImmediate(() => process.exit(0))),
  });
  post({ type: 'started', backend: choice.backend, reason: `${choice.reason}; ${threads} thread${threads === 1 ? '' : 's'}` });
  core = ready;
  for (const data of early.splice(0)) void ready.handle(data);
}

// Note (found by the integration fault tests): stopping this thread while an onnxruntime-node run is
// in flight on ONNX Runtime's threads (worker.terminate() after a hang, or an uncaught error in the
// thread) aborts the whole process: "terminate called after throwing an instance of 'Napi::Error'",
// SIGABRT. Both stops now wait for the native call to return (nativeActivity.ts; tested in
// test/unit/reliability/nativeActivity.test.ts). The fault hook still strikes between runs, so the
// integration tests inject the fault itself and not that wait.
