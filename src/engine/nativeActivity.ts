/**
 * Native ONNX Runtime calls in flight in the model worker, counted in memory the host can read.
 *
 * Stopping a worker thread while onnxruntime-node works for it (creating a session, a run, a
 * release) can abort the whole process: when the call returns, the binding throws a C++
 * `Napi::Error` into a terminated environment ("terminate called after throwing an instance of
 * 'Napi::Error'", SIGABRT), which would take the extension host down with the worker. So the worker
 * counts those calls in a SharedArrayBuffer the host handed it, and whoever stops the thread (the
 * host after a hang, the worker itself after an uncaught error) waits until the count is 0.
 */
import type { Transformers } from './backend';

const IN_FLIGHT = 0;
const STOPPING = 1;

/** Bytes of the shared memory: calls in flight, and the "stopping" flag. */
export const NATIVE_ACTIVITY_BYTES = 8;

export class NativeActivity {
  private readonly cell: Int32Array;

  /** `buffer`: NATIVE_ACTIVITY_BYTES shared between host and worker (or private, when nobody else looks). */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(NATIVE_ACTIVITY_BYTES)) {
    this.cell = new Int32Array(buffer, 0, 2);
  }

  get inFlight(): number {
    return Atomics.load(this.cell, IN_FLIGHT);
  }

  /**
   * Runs a native call, counted. Once a stop began no new call starts: it never settles (the thread
   * is about to end). The count goes up before the flag is read, and the stopper sets the flag before
   * it reads the count (sequentially consistent atomics), so no call can start unseen after the
   * stopper found the count at 0.
   */
  async around<T>(call: () => Promise<T>): Promise<T> {
    Atomics.add(this.cell, IN_FLIGHT, 1);
    if (Atomics.load(this.cell, STOPPING) !== 0) {
      Atomics.sub(this.cell, IN_FLIGHT, 1);
      return new Promise<T>(() => undefined);
    }
    try {
      return await call();
    } finally {
      Atomics.sub(this.cell, IN_FLIGHT, 1);
    }
  }

  /**
   * Starts no new native call from now on, and calls `stop` once none is in flight (at once when
   * none is), polling. Returns a function that gives up waiting (e.g. the thread exited meanwhile).
   */
  stopWhenIdle(stop: () => void, pollMs = 5): () => void {
    Atomics.store(this.cell, STOPPING, 1);
    if (this.inFlight === 0) {
      stop();
      return () => undefined;
    }
    const timer = setInterval(() => {
      if (this.inFlight !== 0) return;
      clearInterval(timer);
      stop();
    }, pollMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /**
   * The runtime with every model load counted, and every session it creates counting its `run`
   * and `release` calls: EngineSession loads all its graphs through `AutoModelForCausalLM`.
   */
  wrap(transformers: Transformers): Transformers {
    return hookModelSessions(transformers, (call) => this.around(call));
  }
}

type NativeCall = 'load' | 'run' | 'release';

/**
 * The runtime with `AutoModelForCausalLM.from_pretrained` and the `run` and `release` of every
 * ONNX Runtime session it creates going through `around(call, what)`: whatever path reaches a
 * session (the model's forward, or the session called directly) is seen.
 */
export function hookModelSessions(transformers: Transformers, around: AroundNativeCall): Transformers {
  const auto = transformers.AutoModelForCausalLM;
  const hooked = {
    from_pretrained: async (...args: Parameters<typeof auto.from_pretrained>) => {
      const model = await around(() => auto.from_pretrained(...args), 'load');
      const sessions = (model as unknown as { sessions?: Record<string, HookableSession> }).sessions ?? {};
      for (const session of Object.values(sessions)) hookSession(session, around);
      return model;
    },
  };
  const runtime = Object.create(transformers) as Transformers;
  Object.defineProperty(runtime, 'AutoModelForCausalLM', { value: hooked });
  // Sessions made outside transformers.js (the derived attention graph) go through the same hooks, in the same order.
  const inner = aroundOf(transformers);
  Object.defineProperty(runtime, AROUND, { value: ((call, what) => around(() => inner(call, what), what)) satisfies AroundNativeCall });
  return runtime;
}

type AroundNativeCall = <T>(call: () => Promise<T>, what: NativeCall) => Promise<T>;
type HookableSession = { run: (...a: never[]) => Promise<unknown>; release?: () => Promise<void> };
const AROUND = Symbol('localGpt.aroundNativeCall');

/** Every hook `hookModelSessions` put on this runtime, composed (the identity when none). */
export function aroundOf(transformers: Transformers): AroundNativeCall {
  return (transformers as unknown as { [AROUND]?: AroundNativeCall })[AROUND] ?? ((call) => call());
}

/** Routes a session's `run` and `release` through `around` (in place; returns the session). */
export function hookSession<S extends HookableSession>(session: S, around: AroundNativeCall): S {
  const run = session.run.bind(session) as (...a: unknown[]) => Promise<unknown>;
  (session as unknown as { run: (...a: unknown[]) => Promise<unknown> }).run = (...a: unknown[]) => around(() => run(...a), 'run');
  const release = session.release?.bind(session);
  if (release) session.release = () => around(release, 'release');
  return session;
}
