// The integration tests' model worker (dist/faultWorker.js, built only by `node esbuild.js --tests`; the
// VSIX and `dist/worker.js` never contain it): the production loop (src/engine/workerMain.ts) with a hook
// that injects faults and reports statistics.
//
// A `complete` whose prompt contains `localgpt-fault:crash`, `localgpt-fault:hang` or `localgpt-fault:oom`
// makes this thread throw, block, or fill its heap once the generation has started, and the worker reports
// what it did on the BroadcastChannel FAULT_STATS_CHANNEL (requests in, replies out, model runs at once,
// heap). The tests switch the extension's engine to this bundle themselves (WorkerClient.replaceOptions).
import { BroadcastChannel, threadId } from 'node:worker_threads';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Transformers } from '../../src/engine/backend';
import { hookModelSessions } from '../../src/engine/nativeActivity';
import type { WorkerToHost } from '../../src/engine/protocol';
import { runWorker, type WorkerHook } from '../../src/engine/workerMain';
import { FAULT_MARKER, FAULT_STATS_CHANNEL, type FaultStat } from './faultStats';

class FaultHook implements WorkerHook {
  private readonly channel = new BroadcastChannel(FAULT_STATS_CHANNEL);
  /** A request that must never be answered: the thread dies while it runs. */
  private doomed: number | null = null;
  private running = 0;
  /** A fault waiting for the model run in flight to return. */
  private afterRun: (() => void) | null = null;
  /** The out-of-memory fault has started. */
  private filling = false;

  constructor() {
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

  post(message: WorkerToHost, send: (message: WorkerToHost) => void): void {
    if (message.type !== 'progress') {
      const id = 'id' in message && typeof message.id === 'number' ? message.id : null;
      if (id !== null && id === this.doomed && message.type !== 'alive') return; // dies before it can answer
      this.stat({ kind: 'out', threadId, t: this.now(), type: message.type, id });
    }
    send(message);
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

  /**
   * Allocates until resourceLimits stop the thread (ERR_WORKER_OUT_OF_MEMORY), in slices with a turn of
   * the event loop between them: the request's alive beats go on, so the host sees the out-of-memory
   * death and not a hang, however long filling the heap takes on a busy machine. No model run starts
   * meanwhile (see `wrapTransformers`), so the thread never dies inside ONNX Runtime.
   */
  private fillHeap(): void {
    this.filling = true;
    const hog: number[][] = [];
    const slice = () => {
      for (let i = 0; i < 16; i++) hog.push(new Array<number>(1 << 16).fill(hog.length));
      setImmediate(slice);
    };
    slice();
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
  wrapTransformers(transformers: Transformers): Transformers {
    return hookModelSessions(transformers, async (call, what) => {
      if (what !== 'run') return call();
      if (this.filling) return new Promise<never>(() => {}); // the heap is being filled: wait for the end
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


void runWorker(new FaultHook());
