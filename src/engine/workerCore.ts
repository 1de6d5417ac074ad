/**
 * The model worker's logic, independent of `worker_threads` (tests drive it in-process):
 * validates each incoming message, dispatches it through one handler per message type, and posts
 * replies. One generation runs at a time; a newer `complete` supersedes every older one (each older
 * request is answered `cancelled`: at once if it is still waiting its turn, after its current model
 * run if it is generating). A `cancel` does the same for a `complete` or an `attention` by id; a
 * `load` replaces the model, and a `cancel` with a load's id aborts its download.
 */
import type { Transformers } from './backend';
import type { ExactCompletion } from '../attention/exactWindow';
import { attentionForSession } from './attention';
import { cacheMixer } from './cacheMixer';
import { warmUpDecoding } from './decodeWarmUp';
import { DocumentCacheStore } from './cacheStore';
import { DownloadError, ensureHubModel } from './download';
import { PrefixReusingGenerator, type CausalLm } from './generate';
import { inspectModelFolder, ModelFolderError } from './modelFolder';
import { sourceName } from './modelSource';
import {
  ALIVE_INTERVAL_MS,
  messageIdOf,
  parseHostMessage,
  type BackendName,
  type CompleteRequest,
  type ErrorCode,
  type HostToWorker,
  type LoadRequest,
  type ProgressPhase,
  type WorkerToHost,
} from './protocol';
import { EngineSession } from './session';
import type { SessionKv } from './transformersLm';

interface WorkerCoreDeps {
  transformers: Transformers;
  backend: BackendName;
  threads: number;
  post: (message: WorkerToHost) => void;
  /** Called after `dispose` was handled (the worker thread exits). */
  onDisposed?: () => void;
  /** How often a model request waiting or running says `alive`, ms (default ALIVE_INTERVAL_MS; tests shorten it). */
  aliveIntervalMs?: number;
}

class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Lets queued messages (cancel, a newer request) in before each forward call, also on a backend whose run blocks. */
function yieldingBeforeForward<P>(lm: CausalLm<P>): CausalLm<P> {
  return {
    contextLength: lm.contextLength,
    eosTokenIds: lm.eosTokenIds,
    truncate: (past, length) => lm.truncate(past, length),
    forward: async (ids, past) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return lm.forward(ids, past);
    },
  };
}

type Handlers = { [K in HostToWorker['type']]: (message: Extract<HostToWorker, { type: K }>) => Promise<void> | void };

/** Quiet time after the last document edit before the worker tokenizes edited documents again, ms. */
const CACHE_REINDEX_DELAY_MS = 300;

interface Job {
  id: number;
  kind: 'complete' | 'attention';
  cancelled: boolean;
  /**
   * Its model work has started: a generation sees a cancel between two model runs, an attention pass
   * (one run) finishes. Before that it waits on the chain.
   */
  started: boolean;
  /** Its one terminal reply has been posted. */
  answered: boolean;
}

export class WorkerCore {
  /** The loaded model, for every request type (null until a `load` succeeds). */
  session: EngineSession | null = null;
  private generator: PrefixReusingGenerator<SessionKv> | null = null;
  private loading: { id: number; abort: AbortController; done: Promise<void> } | null = null;
  private jobs: Job[] = [];
  /** The last completion's exact input and output, for "Explain Attention" on it (null after a load). */
  private lastResult: ExactCompletion | null = null;
  /** Model runs (generations, attention) one after another on this chain; see `exclusive`. */
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;
  /** The copy model's documents (src/engine/cacheStore.ts). */
  readonly cacheStore = new DocumentCacheStore();
  private reindexTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: WorkerCoreDeps) {}

  /** Dispatch table: add a request type here (and in protocol.ts). */
  private readonly handlers: Handlers = {
    load: (m) => this.load(m),
    complete: (m) => this.complete(m),
    attention: (m) => {
      const job = this.enqueue(m.id, 'attention');
      return this.runQueued(job, async () => {
        if (!this.session) throw new RequestError('notLoaded', 'no model is loaded yet (send "load" first)');
        job.started = true;
        this.deps.post({ type: 'attentionResult', id: m.id, outcome: await attentionForSession(this.session, m, this.lastResult) });
      });
    },
    cancel: (m) => this.cancel(m.id),
    dispose: () => this.dispose(),
    cacheDocument: (m) => {
      this.cacheStore.put(m.key, m.languageId, m.version, m.text);
      this.scheduleReindex();
    },
    cacheEdit: (m) => {
      if (this.cacheStore.edit(m.key, m.version, m.edits)) this.scheduleReindex();
    },
    cacheForget: (m) => this.cacheStore.forget(m.key),
  };

  /**
   * Tokenizes edited documents once edits pause, between model runs (on the same chain), one
   * document per turn so a request that arrives meanwhile waits for one document at most.
   */
  private scheduleReindex(): void {
    if (this.reindexTimer) clearTimeout(this.reindexTimer);
    this.reindexTimer = setTimeout(() => {
      this.reindexTimer = null;
      void this.exclusive(async () => {
        if (this.disposed || this.jobs.length > 0) return;
        this.cacheStore.reindexStale(1);
      }).then(() => {
        if (this.cacheStore.hasStale && !this.disposed) this.scheduleReindex();
      });
    }, CACHE_REINDEX_DELAY_MS);
    this.reindexTimer.unref?.();
  }

  /** Entry point for every message from the host. Never throws. */
  handle(data: unknown): Promise<void> {
    const parsed = parseHostMessage(data);
    if (!parsed.ok) {
      this.deps.post({ type: 'error', id: messageIdOf(data), code: 'badMessage', message: `Local GPT worker: ${parsed.error}` });
      return Promise.resolve();
    }
    if (this.disposed) return Promise.resolve();
    const message = parsed.message;
    const handler = this.handlers[message.type] as (m: HostToWorker) => Promise<void> | void;
    const done = Promise.resolve()
      .then(() => handler(message))
      .catch((e: unknown) => this.deps.post(errorMessage(messageIdOf(message), e)));
    if (message.type === 'complete' || message.type === 'attention') this.aliveUntil(message.id, done);
    return done;
  }

  /**
   * Says `alive` for request `id` until `done` settles: while it waits behind other model runs (one
   * at a time) and while its own runs go on, however long one run takes (an attention pass over a big
   * window is a single run). The beats come from this thread's event loop: a thread that blocks (stuck
   * in JavaScript or in a synchronous call) stops them, and that is the hang the host's deadline detects.
   */
  private aliveUntil(id: number, done: Promise<void>): void {
    const beat = setInterval(() => this.deps.post({ type: 'alive', id }), this.deps.aliveIntervalMs ?? ALIVE_INTERVAL_MS);
    void done.finally(() => clearInterval(beat));
  }

  private async load(m: LoadRequest): Promise<void> {
    this.loading?.abort.abort();
    this.cancelAll();
    const abort = new AbortController();
    const started = performance.now();
    const run = async () => {
      await this.chain; // let a running generation see its cancel and finish
      await this.session?.dispose();
      this.session = null;
      this.generator = null;
      this.lastResult = null;
      const progress = (phase: ProgressPhase) => (file: string, loadedBytes: number, totalBytes: number | null) =>
        this.deps.post({ type: 'progress', id: m.id, phase, file, loadedBytes, totalBytes });
      let dir: string;
      if (m.source.kind === 'hub') {
        dir = await ensureHubModel({
          id: m.source.id,
          revision: m.source.revision,
          remoteHost: m.remoteHost,
          cacheDir: m.cacheDir,
          quantized: m.quantized,
          allowDownloads: m.allowDownloads,
          signal: abort.signal,
          onProgress: (p) => progress('download')(p.file, p.loadedBytes, p.totalBytes),
        });
      } else {
        dir = m.source.dir;
      }
      if (abort.signal.aborted) throw new RequestError('downloadFailed', 'loading was cancelled');
      const folder = inspectModelFolder(dir, { quantized: m.quantized });
      let session: EngineSession;
      let generator: PrefixReusingGenerator<SessionKv>;
      try {
        session = await EngineSession.open(this.deps.transformers, folder, {
          name: sourceName(m.source),
          backend: this.deps.backend,
          threads: this.deps.threads,
          onProgress: progress('load'),
        });
        await session.warmUp();
        generator = new PrefixReusingGenerator(yieldingBeforeForward(session.lm), session);
        await warmUpDecoding(generator, (text) => session.encode(text));
      } catch (e) {
        throw new RequestError('invalidModel', `${folder.dir}: ${folder.onnxFile} could not be loaded on the ${this.deps.backend} backend: ${(e as Error).message}`);
      }
      if (abort.signal.aborted) {
        await session.dispose();
        throw new RequestError('downloadFailed', 'loading was cancelled');
      }
      this.session = session;
      this.generator = generator;
      this.cacheStore.useTokenizer((text) => session.encode(text), session.info.vocabSize, (id) => session.tokenTexts[id] ?? '');
      if (this.cacheStore.hasStale) this.scheduleReindex();
      this.deps.post({ type: 'ready', id: m.id, model: session.info, loadMs: performance.now() - started });
    };
    const done = run();
    this.loading = { id: m.id, abort, done: done.catch(() => undefined) };
    try {
      await done;
    } catch (e) {
      if (!abort.signal.aborted) throw e;
      this.deps.post({ type: 'cancelled', id: m.id }); // cancelled, or replaced by a newer load
    } finally {
      if (this.loading?.abort === abort) this.loading = null;
    }
  }

  private complete(m: CompleteRequest): Promise<void> {
    for (const older of this.jobs) if (older.kind === 'complete') this.stop(older); // superseded
    const job = this.enqueue(m.id, 'complete');
    return this.runQueued(job, async () => {
      const session = this.session;
      const generator = this.generator;
      if (!session || !generator) throw new RequestError('notLoaded', 'no model is loaded yet (send "load" first)');
      job.started = true;
      let outcome;
      try {
        const cache = m.options.cache;
        const mix = cache ? cacheMixer(this.cacheStore.indexesFor(cache.documentKey, cache.languageId, cache.cursorOffset)) : null;
        outcome = await generator.generate(session.encode(m.prompt), m.options, () => job.cancelled, mix);
      } catch (e) {
        generator.reset(); // the cache may be half-updated
        throw new RequestError('generationFailed', `generation failed: ${(e as Error).message}`);
      }
      if (outcome.status === 'cancelled') this.answerCancelled(job);
      else {
        this.deps.post({
          type: 'result',
          id: m.id,
          text: outcome.text,
          generatedTokens: outcome.ids.length,
          stopReason: outcome.stopReason,
          timings: outcome.timings,
        });
        this.lastResult = {
          resultId: m.id,
          promptIds: outcome.promptIds,
          generatedIds: outcome.ids,
          healed: outcome.healed,
          completionGraph: session.info.onnxFile,
        };
        // Nothing else waiting: run the suggestion's last token now, while the user reads it.
        if (this.jobs.length === 1) void this.exclusive(() => this.idlePrefetch(generator));
      }
    });
  }

  /**
   * Runs `work` for `job` in its turn on the chain, after the load in progress when it came (taken now:
   * a later load waits for this task, not the reverse). A job answered while it waited does nothing; one
   * cancelled meanwhile is answered `cancelled`; an error becomes the job's error reply.
   */
  private runQueued(job: Job, work: () => Promise<void>): Promise<void> {
    const loading = this.loading?.done;
    return this.exclusive(async () => {
      if (job.answered) return;
      try {
        await loading;
        if (job.cancelled) return this.answerCancelled(job);
        await work();
      } catch (e) {
        this.deps.post(errorMessage(job.id, e));
      } finally {
        this.jobs = this.jobs.filter((j) => j !== job);
      }
    });
  }

  private async idlePrefetch(generator: PrefixReusingGenerator<SessionKv>): Promise<void> {
    if (this.jobs.length > 0 || generator !== this.generator) return; // a newer request came first
    try {
      await generator.prefetch();
    } catch {
      generator.reset(); // the cache may be half-updated; the next request starts cold
    }
  }

  /**
   * Runs `task` after every model run queued before it: one ONNX Runtime call at a time (the
   * WebAssembly runtime cannot run two sessions at once). Errors stay with the task's caller.
   */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.chain.then(task);
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private cancel(id: number): void {
    for (const job of this.jobs) if (job.id === id) this.stop(job);
    if (this.loading?.id === id) this.loading.abort.abort();
  }

  private enqueue(id: number, kind: Job['kind']): Job {
    const job: Job = { id, kind, cancelled: false, started: false, answered: false };
    this.jobs.push(job);
    return job;
  }

  private cancelAll(): void {
    for (const job of this.jobs) this.stop(job);
  }

  /**
   * A started job stops at its next check (a generation between two model runs; an attention pass is
   * one run and finishes). One still waiting for its turn (behind another generation, an attention pass
   * or a load) is answered now: a stale request never waits for model runs that are not its own.
   */
  private stop(job: Job): void {
    job.cancelled = true;
    if (job.started) return;
    this.answerCancelled(job);
    this.jobs = this.jobs.filter((j) => j !== job);
  }

  private answerCancelled(job: Job): void {
    if (job.answered) return;
    job.answered = true;
    this.deps.post({ type: 'cancelled', id: job.id });
  }

  private async dispose(): Promise<void> {
    this.disposed = true;
    if (this.reindexTimer) clearTimeout(this.reindexTimer);
    this.loading?.abort.abort();
    this.cancelAll();
    await this.chain;
    await this.session?.dispose();
    this.session = null;
    this.generator = null;
    this.deps.post({ type: 'disposed' });
    this.deps.onDisposed?.();
  }
}

function errorMessage(id: number | null, e: unknown): WorkerToHost {
  if (e instanceof RequestError || e instanceof ModelFolderError) return { type: 'error', id, code: e.code, message: e.message };
  if (e instanceof DownloadError) {
    return { type: 'error', id, code: e.code === 'cancelled' ? 'downloadFailed' : e.code, message: e.message };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { type: 'error', id, code: 'internal', message };
}
