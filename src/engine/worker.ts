/**
 * Model worker entry (`dist/worker.js`, a `worker_threads` Worker). `workerData` is a
 * `WorkerStartOptions`: the backend is chosen and installed here, before transformers.js is imported,
 * so changing it means starting a new worker. Then every message goes to `WorkerCore`.
 *
 * Test-only fault hook: with the environment variable LOCAL_GPT_TEST_FAULTS=1 (set by the integration
 * runner, never by the extension) a `complete` whose prompt contains `localgpt-fault:crash`,
 * `localgpt-fault:hang` or `localgpt-fault:oom` makes this thread throw, block, or fill its heap
 * once the generation has started, and the worker reports what it did on the BroadcastChannel
 * FAULT_STATS_CHANNEL (requests in, replies out, model runs at once, heap). Without the variable
 * none of this exists: no channel, no wrapping, messages go straight to WorkerCore.
 */
import { BroadcastChannel, parentPort, threadId, workerData } from 'node:worker_threads';
import * as os from 'node:os';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { chooseBackend, findNativeBinding, nativeBindingCandidates, startBackend, threadCount, type Transformers } from './backend';
import { hookModelSessions, NativeActivity } from './nativeActivity';
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
  const faults = process.env.LOCAL_GPT_TEST_FAULTS === '1' ? new FaultHook((m) => port.postMessage(m)) : null;
  const post = faults ? (message: WorkerToHost) => faults.post(message) : (message: WorkerToHost) => port.postMessage(message);
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
    faults?.received(data);
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
    transformers: activity.wrap(faults ? faults.countModelRuns(transformers) : transformers),
    backend: choice.backend,
    threads,
    post,
    onDisposed: () => activity.stopWhenIdle(() => setImmediate(() => process.exit(0))),
  });
  post({ type: 'started', backend: choice.backend, reason: `${choice.reason}; ${threads} thread${threads === 1 ? '' : 's'}` });
  core = ready;
  for (const data of early.splice(0)) void ready.handle(data);
}

// ---------------------------------------------------------------------------------------------
// Test-only: fault injection and statistics (LOCAL_GPT_TEST_FAULTS=1).

/** Name of the BroadcastChannel the fault hook reports on (the integration tests listen). */
const FAULT_STATS_CHANNEL = 'localgpt-test-worker';
const FAULT_MARKER = /localgpt-fault:(crash|hang|oom)/;

/**
 * What the worker says on FAULT_STATS_CHANNEL. `t` is `performance.timeOrigin + performance.now()`, ms.
 * - `in` / `out`: a request received / a reply posted (`progress` excluded).
 * - `run`: one ONNX Runtime session run finished; `concurrent` = runs going on when it started (itself included).
 * - `heap`: answer to `{ type: 'heap' }` sent on the channel: V8 heap after a full GC, bytes.
 * - `fault`: the hook is about to inject `kind`.
 */
type FaultStat =
  | { kind: 'in' | 'out'; threadId: number; t: number; type: string; id: number | null }
  | { kind: 'run'; threadId: number; t: number; ms: number; concurrent: number }
  | { kind: 'heap'; threadId: number; t: number; usedBytes: number; limitBytes: number }
  | { kind: 'fault'; threadId: number; t: number; fault: string; id: number };

class FaultHook {
  private readonly channel = new BroadcastChannel(FAULT_STATS_CHANNEL);
  /** A request that must never be answered: the thread dies while it runs. */
  private doomed: number | null = null;
  private running = 0;
  /** A fault waiting for the model run in flight to return. */
  private afterRun: (() => void) | null = null;

  constructor(private readonly send: (message: WorkerToHost) => void) {
    this.channel.unref();
    this.channel.onmessage = (event) => {
      if ((event as { data?: { type?: string } }).data?.type === 'heap') this.reportHeap();
    };
  }

  private stat(stat: FaultStat): void {
    this.channel.postMessage(stat);
  }

  private now(): number {
    return performance.timeOrigin + performance.now();
  }

  received(data: unknown): void {
    const m = (typeof data === 'object' && data !== null ? data : {}) as { type?: unknown; id?: unknown; prompt?: unknown };
    const id = typeof m.id === 'number' ? m.id : null;
    this.stat({ kind: 'in', threadId, t: this.now(), type: String(m.type), id });
    const fault = m.type === 'complete' && typeof m.prompt === 'string' ? FAULT_MARKER.exec(m.prompt)?.[1] : undefined;
    if (!fault || id === null) return;
    this.doomed = id;
    // The request goes on to WorkerCore; the fault strikes at the next timer turn, i.e. between the
    // generation's first model runs (a model run never blocks timers for long: each is preceded by a yield).
    setTimeout(() => this.strike(fault, id), 0);
  }

  post(message: WorkerToHost): void {
    if (message.type !== 'progress') {
      const id = 'id' in message && typeof message.id === 'number' ? message.id : null;
      if (id !== null && id === this.doomed && message.type !== 'alive') return; // dies before it can answer
      this.stat({ kind: 'out', threadId, t: this.now(), type: message.type, id });
    }
    this.send(message);
  }

  /**
   * Injects `fault` between two model runs of the generation: never while ONNX Runtime works on its
   * own threads for this isolate, because stopping a worker then aborts the whole process (see the
   * note at the end of this file); that is a different fault from the one under test. A run in flight
   * strikes as soon as it returns, before the generation goes on.
   */
  private strike(fault: string, id: number): void {
    const now = () => {
      this.stat({ kind: 'fault', threadId, t: this.now(), fault, id });
      if (fault === 'crash') {
        // Uncaught, as a bug would be; it fires before the generation's next run can start (that
        // waits for a later setImmediate).
        setImmediate(() => {
          throw new Error(`localgpt-fault: crash injected by the test hook during request ${id}`);
        });
      } else if (fault === 'hang') {
        // Blocks the thread without spinning a core: no replies, no alive beats, until it is terminated.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      } else {
        this.fillHeap();
      }
    };
    if (this.running > 0) this.afterRun = now;
    else now();
  }

  /** Allocates until resourceLimits stop the thread (ERR_WORKER_OUT_OF_MEMORY); never returns. */
  private fillHeap(): never {
    const hog: number[][] = [];
    for (;;) hog.push(new Array<number>(1 << 16).fill(hog.length));
  }

  private reportHeap(): void {
    if (typeof globalThis.gc !== 'function') v8.setFlagsFromString('--expose-gc');
    const gc = (globalThis.gc ?? (vm.runInNewContext('gc') as () => void)) as () => void;
    gc();
    const heap = v8.getHeapStatistics();
    this.stat({ kind: 'heap', threadId, t: this.now(), usedBytes: heap.used_heap_size, limitBytes: heap.heap_size_limit });
  }

  /**
   * The same runtime, but every model loaded through it reports each ONNX Runtime session run (`run`
   * stats), whatever path reaches the session (the model's forward, or the session called directly).
   */
  countModelRuns(transformers: Transformers): Transformers {
    return hookModelSessions(transformers, async (call, what) => {
      if (what !== 'run') return call();
      const started = performance.now();
      const concurrent = ++this.running;
      try {
        return await call();
      } finally {
        this.running--;
        this.stat({ kind: 'run', threadId, t: this.now(), ms: performance.now() - started, concurrent });
        const fault = this.running === 0 ? this.afterRun : null;
        if (fault) {
          this.afterRun = null;
          fault();
        }
      }
    });
  }
}

void main();

// Note (found by the integration fault tests): stopping this thread while an onnxruntime-node run is
// in flight on ONNX Runtime's threads (worker.terminate() after a hang, or an uncaught error in the
// thread) aborts the whole process: "terminate called after throwing an instance of 'Napi::Error'",
// SIGABRT. Both stops now wait for the native call to return (nativeActivity.ts; tested in
// test/unit/reliability/nativeActivity.test.ts). The fault hook still strikes between runs, so the
// integration tests inject the fault itself and not that wait.
