/**
 * Host side of the model worker: spawns `dist/worker.js` (a worker_threads Worker, so the editor
 * never blocks), matches replies to requests by id, and keeps the worker alive: if it dies or
 * hangs (no reply within a deadline) it is restarted with backoff; after repeated crashes it stops
 * trying and says so. The model is loaded on first use and re-loaded after a restart.
 *
 * No `vscode` import: the extension (src/extension/sharedEngine.ts) turns its events into status bar
 * and log updates, and the unit tests drive it in plain Node.
 */
import type { Worker } from 'node:worker_threads';
import {
  parseWorkerMessage,
  type GenerationOptions,
  type HostToWorker,
  type LoadRequest,
  type ModelInfo,
  type CacheMessage,
  type ProgressPhase,
  type WorkerStartOptions,
  type WorkerToHost,
} from './protocol';
import { NATIVE_ACTIVITY_BYTES, NativeActivity } from './nativeActivity';
import { afterCrash, recentCrashes, type RestartPolicy } from './restartPolicy';
import type { CancellationLike } from '../completion/debounce';
import type { CompletionEngine, EngineReply } from '../completion/pipeline';
import { describeLoad, describeModel, duration } from './describeEngine';
import type { WorkerFactory } from './workerFactory';

export type ClientState = 'idle' | 'starting' | 'loading' | 'ready' | 'generating' | 'restarting' | 'error' | 'failed' | 'disposed';

export type ClientEvent =
  | { type: 'state'; state: ClientState; detail?: string }
  | { type: 'progress'; phase: ProgressPhase; file: string; loadedBytes: number; totalBytes: number | null }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** The model to load, i.e. a `load` request without its id. */
type LoadSpec = Omit<LoadRequest, 'type' | 'id'>;

export interface EngineConfig {
  start: WorkerStartOptions;
  load: LoadSpec;
}

export interface WorkerClientOptions {
  /** How to start the worker thread: `bundledWorker('dist/worker.js')` (./workerFactory.ts), or `sourceWorker(...)` (./sourceWorker.ts) from a checkout. */
  createWorker: WorkerFactory;
  /** A request with no reply (nor progress / alive message) for this long means the worker hangs, ms. */
  replyDeadlineMs?: number;
  /** The worker must report `started` (runtime imported) within this, ms. */
  startDeadlineMs?: number;
  /** Loading (download included) may go this long without any progress event, ms. */
  loadDeadlineMs?: number;
  /** When to restart after a crash and when to give up (./restartPolicy.ts). */
  backoffMs?: RestartPolicy['backoffMs'];
  maxCrashes?: RestartPolicy['maxCrashes'];
  crashWindowMs?: RestartPolicy['crashWindowMs'];
  onEvent?: (event: ClientEvent) => void;
}

type ResolvedOptions = Required<Omit<WorkerClientOptions, 'onEvent'>> & Pick<WorkerClientOptions, 'onEvent'>;

/** Settled with the terminal reply for a request id (anything but `progress`). */
interface Pending {
  message: HostToWorker;
  resolve: (reply: WorkerToHost) => void;
  reject: (error: Error) => void;
  deadlineMs: number;
  timer: NodeJS.Timeout;
}

/** What the client has in flight, for tests and diagnostics. */
interface ClientStats {
  /** Requests sent to the worker and not yet answered (all types). */
  pending: number;
  /** `complete` calls not yet settled (including those waiting for the model to load). */
  generating: number;
  /** Crashes counted towards giving up (within `crashWindowMs`). */
  recentCrashes: number;
  /** `threadId` of the running worker, null when none runs. */
  workerThreadId: number | null;
}

const DEFAULTS = {
  replyDeadlineMs: 30_000,
  startDeadlineMs: 60_000,
  loadDeadlineMs: 120_000,
  backoffMs: [500, 2_000, 8_000],
  maxCrashes: 3,
  crashWindowMs: 5 * 60_000,
};

/** How long a worker stopped for a settings change may take to dispose itself before it is terminated, ms. */
const GRACEFUL_STOP_MS = 5_000;

class EngineError extends Error {}

export class WorkerClient implements CompletionEngine {
  private worker: Worker | null = null;
  /** The current worker's native ONNX Runtime calls in flight (it counts them; we read them before stopping it). */
  private activity = new NativeActivity();
  private started: Promise<void> | null = null;
  private loaded: Promise<ModelInfo> | null = null;
  private modelInfo: ModelInfo | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private stateValue: ClientState = 'idle';
  private lastError: string | null = null;
  private options: ResolvedOptions;
  private generating = 0;
  private readonly listeners = new Set<(event: ClientEvent) => void>();

  /** `config` null: not configured yet (the settings name no usable model); requests fail until `configure`. */
  constructor(
    private config: EngineConfig | null,
    options: WorkerClientOptions,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Replaces how the worker is started and timed, restarts it on the next request, and returns the
   * options before. For the integration tests: the fault tests switch to the fault-injecting worker
   * bundle with short backoffs and deadlines, and switch back after; the extension never calls it.
   */
  replaceOptions(options: Partial<Omit<WorkerClientOptions, 'onEvent'>>): Partial<Omit<WorkerClientOptions, 'onEvent'>> {
    const { onEvent: _onEvent, ...before } = this.options;
    this.options = { ...this.options, ...options };
    this.restartNow('worker options replaced');
    return before;
  }

  /** Also tells `listener` every event (after `onEvent`); for tests. */
  addListener(listener: (event: ClientEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  get stats(): ClientStats {
    return {
      pending: this.pending.size,
      generating: this.generating,
      recentCrashes: recentCrashes(this.crashes, Date.now(), this.options.crashWindowMs).length,
      workerThreadId: this.worker?.threadId ?? null,
    };
  }

  /** The message of the last load failure or of giving up, while the client is `error` / `failed`. */
  get problem(): string | null {
    return this.stateValue === 'error' || this.stateValue === 'failed' ? this.lastError : null;
  }

  get state(): ClientState {
    return this.stateValue;
  }

  /** The loaded model, once `ready`. */
  get model(): ModelInfo | null {
    return this.modelInfo;
  }

  get capabilities(): ModelInfo['capabilities'] | null {
    return this.modelInfo?.capabilities ?? null;
  }

  get contextLength(): number | null {
    return this.modelInfo?.contextLength ?? null;
  }

  /**
   * Applies new settings. When the worker start options or the model change, the current worker
   * is stopped and the client goes back to `idle`: the new one starts on the next request (a
   * backend is chosen once per worker; a model change frees the old model's memory at once).
   */
  configure(config: EngineConfig): void {
    const changed = JSON.stringify(config) !== JSON.stringify(this.config);
    this.config = config;
    if (changed || this.stateValue === 'failed' || this.stateValue === 'error') this.restartNow('settings changed');
  }

  /** Starts the worker and loads the model if needed; resolves with the model. */
  ensureLoaded(): Promise<ModelInfo> {
    if (this.stateValue === 'disposed') return Promise.reject(new EngineError('the Local GPT engine was shut down'));
    if (this.stateValue === 'failed') return Promise.reject(new EngineError(this.lastError ?? 'the model worker failed'));
    if (this.stateValue === 'error' && this.lastError) return Promise.reject(new EngineError(this.lastError));
    if (this.restartTimer) return Promise.reject(new EngineError('the model worker is restarting'));
    if (!this.config) return Promise.reject(new EngineError('no model is configured'));
    if (!this.loaded) {
      const loading = this.startWorker().then(() => this.load());
      this.loaded = loading;
      loading.catch(() => {
        if (this.loaded === loading) this.loaded = null;
      });
    }
    return this.loaded;
  }

  async complete(prompt: string, options: GenerationOptions, token?: CancellationLike): Promise<EngineReply | null> {
    await this.ensureLoaded();
    if (token?.isCancellationRequested) return null;
    this.generating++;
    this.setState('generating');
    const request = this.request((id) => ({ type: 'complete', id, prompt, options }), this.options.replyDeadlineMs, token);
    try {
      const reply = await request;
      if (reply.type === 'result') return { resultId: reply.id, text: reply.text, stopReason: reply.stopReason, timings: reply.timings };
      if (reply.type === 'cancelled') return null;
      if (reply.type === 'error') throw new EngineError(reply.message);
      throw new EngineError(`unexpected reply to complete: ${reply.type}`);
    } finally {
      this.generating--;
      if (this.generating === 0 && this.stateValue === 'generating') this.setState('ready', this.modelInfo ? describeModel(this.modelInfo) : undefined);
    }
  }

  /** Identity of the running worker thread (a restarted worker has a new one); null when none runs. */
  get workerId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /** Posts a message that has no reply (the copy model's documents); false when no worker runs. */
  post(message: CacheMessage): boolean {
    if (!this.worker) return false;
    this.worker.postMessage(message);
    return true;
  }

  /**
   * Sends a request built around a fresh id and resolves with its terminal reply. Cancelling
   * `token` sends `cancel` (the worker then answers `cancelled`). For other request types too.
   */
  request(build: (id: number) => HostToWorker, deadlineMs: number, token?: CancellationLike): Promise<WorkerToHost> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new EngineError('the model worker is not running'));
    const id = this.nextId++;
    const message = build(id);
    return new Promise<WorkerToHost>((resolve, reject) => {
      const subscription = token?.onCancellationRequested(() => this.worker?.postMessage({ type: 'cancel', id } satisfies HostToWorker));
      const done = <T>(settle: (v: T) => void) => (v: T) => {
        subscription?.dispose();
        clearTimeout(this.pending.get(id)?.timer);
        this.pending.delete(id);
        settle(v);
      };
      this.pending.set(id, { message, resolve: done(resolve), reject: done(reject), deadlineMs, timer: this.deadline(id, deadlineMs) });
      worker.postMessage(message);
    });
  }

  private deadline(id: number, ms: number): NodeJS.Timeout {
    return setTimeout(() => {
      const pending = this.pending.get(id);
      this.crashed(`no reply to "${pending?.message.type ?? 'request'}" within ${duration(ms)} (the worker hangs)`);
    }, ms);
  }

  private startWorker(): Promise<void> {
    if (this.started) return this.started;
    this.setState('starting');
    const shared = new SharedArrayBuffer(NATIVE_ACTIVITY_BYTES);
    this.activity = new NativeActivity(shared);
    const worker = this.options.createWorker({ ...this.config!.start, nativeActivity: shared });
    this.worker = worker;
    let startedResolve!: () => void;
    let startedReject!: (e: Error) => void;
    const started = new Promise<void>((resolve, reject) => {
      startedResolve = resolve;
      startedReject = reject;
    });
    const startTimer = setTimeout(
      () => this.crashed(`the model worker did not start within ${duration(this.options.startDeadlineMs)}`),
      this.options.startDeadlineMs,
    );
    worker.on('message', (data: unknown) => {
      if (worker !== this.worker) return;
      const parsed = parseWorkerMessage(data);
      if (!parsed.ok) {
        this.log('warn', `ignored a malformed message from the model worker: ${parsed.error}`);
        return;
      }
      const message = parsed.message;
      if (message.type === 'started') {
        clearTimeout(startTimer);
        this.log('info', `model worker started: ${message.backend} backend (${message.reason})`);
        startedResolve();
        return;
      }
      if (message.type === 'error' && message.id === null) {
        clearTimeout(startTimer);
        this.fail(message.message);
        startedReject(new EngineError(message.message));
        return;
      }
      this.dispatch(message);
    });
    worker.on('error', (e) => {
      if (worker !== this.worker) return;
      const outOfMemory = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.crashed(outOfMemory ? `the model worker ran out of memory (${e.message})` : `the model worker threw: ${e.message}`);
    });
    worker.on('exit', (code) => {
      clearTimeout(startTimer);
      if (worker === this.worker && this.stateValue !== 'disposed') {
        this.crashed(`the model worker exited (code ${code})`);
      }
      startedReject(new EngineError(`the model worker exited (code ${code})`));
    });
    this.started = started;
    started.catch(() => undefined);
    return started;
  }

  private async load(): Promise<ModelInfo> {
    const spec = this.config!.load;
    this.setState('loading', describeLoad(spec));
    const reply = await this.request((id) => ({ type: 'load', id, ...spec }), this.options.loadDeadlineMs);
    if (reply.type === 'ready') {
      this.modelInfo = reply.model;
      this.lastError = null;
      this.log('info', `model ready in ${Math.round(reply.loadMs)} ms: ${describeModel(reply.model)}`);
      if (reply.model.note) this.log('info', reply.model.note);
      this.setState('ready', describeModel(reply.model));
      return reply.model;
    }
    if (reply.type === 'error') {
      this.lastError = reply.message;
      this.log('error', reply.message);
      this.setState('error', reply.message);
      throw new EngineError(reply.message);
    }
    throw new EngineError(`model loading ended with "${reply.type}"`);
  }

  private dispatch(message: WorkerToHost): void {
    if (message.type === 'progress' || message.type === 'alive') {
      const pending = this.pending.get(message.id);
      if (pending) {
        clearTimeout(pending.timer); // the worker is alive: the hang deadline starts again
        pending.timer = this.deadline(message.id, pending.deadlineMs);
      }
      if (message.type === 'progress') {
        this.emit({ type: 'progress', phase: message.phase, file: message.file, loadedBytes: message.loadedBytes, totalBytes: message.totalBytes });
      }
      return;
    }
    const id = 'id' in message ? message.id : null;
    if (id === null) {
      if (message.type === 'error') this.log('error', message.message);
      return;
    }
    this.pending.get(id)?.resolve(message);
  }

  /** The worker died or hangs: fail what is in flight, then restart with backoff or give up. */
  private crashed(reason: string): void {
    if (this.stateValue === 'disposed' || this.stateValue === 'failed') return;
    this.log('error', `Local GPT: ${reason}`);
    this.teardown(new EngineError(`Local GPT: ${reason}`));
    const decision = afterCrash(this.crashes, Date.now(), this.options);
    this.crashes = decision.crashes;
    if (decision.action === 'give-up') {
      this.fail(
        `Local GPT: the model worker stopped ${this.crashes.length} times in ${duration(this.options.crashWindowMs)}; ` +
          `inline completions are paused. Last problem: ${reason}. Change a Local GPT setting or reload the window to try again.`,
      );
      return;
    }
    const delay = decision.delayMs;
    this.setState('restarting', `restarting in ${delay} ms after: ${reason}`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.setState('idle');
      void this.ensureLoaded().catch(() => undefined);
    }, delay);
  }

  private fail(message: string): void {
    this.lastError = message;
    this.teardown(new EngineError(message));
    this.setState('failed', message);
    this.log('error', message);
  }

  /**
   * Stops the current worker (if any) and rejects everything in flight. `graceful` (a settings
   * change: the worker is healthy): the worker is asked to dispose, which lets a model run in flight
   * return first, and is terminated only if it is still there after GRACEFUL_STOP_MS. Terminating a
   * thread while an onnxruntime-node run is in flight can abort the whole extension host
   * ("terminate called after throwing an instance of 'Napi::Error'"), so every stop waits until the
   * worker has no native call in flight (src/engine/nativeActivity.ts): a worker hung inside ONNX
   * Runtime is left to finish that call (a new one serves meanwhile), one hung in JavaScript is
   * stopped at once.
   */
  private teardown(error: Error, graceful = false): void {
    const worker = this.worker;
    const activity = this.activity;
    this.worker = null;
    this.started = null;
    this.loaded = null;
    this.modelInfo = null;
    for (const pending of [...this.pending.values()]) pending.reject(error);
    this.pending.clear();
    if (!worker) return;
    const terminate = () => {
      if (activity.inFlight > 0) this.log('warn', 'the old model worker is inside an ONNX Runtime call; it is stopped when that call returns');
      const cancel = activity.stopWhenIdle(() => void worker.terminate());
      worker.once('exit', cancel);
    };
    if (!graceful) {
      terminate();
      return;
    }
    const timer = setTimeout(terminate, GRACEFUL_STOP_MS);
    timer.unref();
    worker.once('exit', () => clearTimeout(timer));
    worker.postMessage({ type: 'dispose' } satisfies HostToWorker);
  }

  private restartNow(reason: string): void {
    if (this.stateValue === 'disposed') return;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.crashes = [];
    this.lastError = null;
    this.teardown(new EngineError(`Local GPT: the engine restarted (${reason})`), true);
    this.setState('idle');
  }

  async dispose(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.setState('disposed');
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'dispose' } satisfies HostToWorker);
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
      await Promise.race([exited, timeout]);
    }
    this.teardown(new EngineError('the Local GPT engine was shut down'));
  }

  private setState(state: ClientState, detail?: string): void {
    if (this.stateValue === 'disposed' && state !== 'disposed') return;
    this.stateValue = state;
    this.emit({ type: 'state', state, detail });
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message });
  }

  private emit(event: ClientEvent): void {
    this.options.onEvent?.(event);
    for (const listener of this.listeners) listener(event);
  }
}
