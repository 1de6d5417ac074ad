import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mock } from 'node:test';
import { Worker } from 'node:worker_threads';
import { sourceWorker } from '../../../src/engine/sourceWorker';
import { WorkerClient, type ClientEvent, type EngineConfig } from '../../../src/engine/workerClient';
import type { GenerationOptions } from '../../../src/engine/protocol';
import type { WorkerFactory } from '../../../src/engine/workerFactory';

const FAKE = path.join(__dirname, 'fixtures/fakeWorker.ts');
const greedy: GenerationOptions = { maxNewTokens: 4, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };

function config(mode: string): EngineConfig {
  return {
    start: { backend: 'native', threads: 1, wasmPaths: mode },
    load: { source: { kind: 'local', dir: '/fake' }, quantized: false, cacheDir: '/tmp', allowDownloads: false, remoteHost: 'http://127.0.0.1/' },
  };
}

const logDirs: string[] = [];
after(() => {
  for (const dir of logDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A client on the fake worker that records its events and counts worker starts. */
function client(mode: string, extra: Partial<ConstructorParameters<typeof WorkerClient>[1]> = {}) {
  const events: ClientEvent[] = [];
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-worker-'));
  logDirs.push(logDir);
  const startLog = path.join(logDir, 'starts');
  process.env.LOCAL_GPT_FAKE_WORKER_LOG = startLog;
  const c = new WorkerClient(config(mode), { createWorker: sourceWorker(FAKE), backoffMs: [50], onEvent: (e) => events.push(e), ...extra });
  const lines = (what: string) => (fs.existsSync(startLog) ? fs.readFileSync(startLog, 'utf8').split('\n').filter((l) => l === what).length : 0);
  const starts = () => lines('start');
  const states = () => events.flatMap((e) => (e.type === 'state' ? [e.state] : []));
  /** Ends the "hang-in-native" worker's pretend native call, or lets the "long-alive" one answer. */
  const release = () => fs.appendFileSync(startLog, 'release\n');
  return { c, events, starts, states, lines, release };
}

/** The real timer: `until` polls with it while a test runs the client on fake timers. */
const realSetTimeout = globalThis.setTimeout;

const until = async (check: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => realSetTimeout(r, 20));
  }
};

/**
 * Runs `body` with the client's timers (reply deadlines, restart backoff) on a fake clock that moves only
 * when the test calls `mock.timers.tick`: a deadline passes where the test says, never because a busy
 * machine was slow to deliver a message. The workers are threads with their own, real timers.
 */
async function withFakeTimers(body: () => Promise<void>): Promise<void> {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    await body();
  } finally {
    mock.timers.reset();
  }
}

/** A worker factory for the fake worker that also hands each worker it starts to `started`. */
const recording =
  (started: (w: Worker) => void): WorkerFactory =>
  (workerData) => {
    const w = sourceWorker(FAKE)(workerData);
    started(w);
    return w;
  };

const cancellable = () => {
  const listeners: (() => void)[] = [];
  return {
    isCancellationRequested: false,
    onCancellationRequested(l: () => void) {
      listeners.push(l);
      return { dispose() {} };
    },
    cancel() {
      this.isCancellationRequested = true;
      for (const l of listeners) l();
    },
  };
};

describe('engine/workerClient (fake workers)', function () {
  this.timeout(90_000);

  it('starts the worker and loads the model on first use, then answers by id', async () => {
    const { c, states } = client('ok');
    assert.equal(c.state, 'idle');
    const [a, b] = await Promise.all([c.complete('one', greedy), c.complete('two', greedy)]);
    assert.equal(a?.text, 'ok:one');
    assert.equal(b?.text, 'ok:two');
    assert.equal(c.model?.name, 'fake');
    assert.deepEqual(states().slice(0, 3), ['starting', 'loading', 'ready']);
    await c.dispose();
    assert.equal(c.state, 'disposed');
  });

  it('a cancelled request resolves null', async () => {
    const { c, lines } = client('slow');
    await c.ensureLoaded();
    const token = cancellable();
    const pending = c.complete('x', greedy, token);
    // Cancelled once the worker has the request (it answers only a cancel): no race with a reply.
    await until(() => lines('complete') === 1);
    token.cancel();
    assert.equal(await pending, null);
    await c.dispose();
  });

  it('restarts a worker that dies, with backoff, and gives up after repeated crashes', async () => {
    const { c, starts, states, events } = client('crash-on-complete', { maxCrashes: 3 });
    await assert.rejects(c.complete('x', greedy), /exited \(code 3\)/);
    await until(() => c.state === 'ready' && starts() === 2);
    await assert.rejects(c.complete('x', greedy), /exited/);
    await until(() => c.state === 'ready' && starts() === 3);
    await assert.rejects(c.complete('x', greedy), /exited/);
    assert.equal(c.state, 'failed');
    assert.ok(states().includes('restarting'));
    const failure = events.find((e) => e.type === 'state' && e.state === 'failed');
    assert.match(failure?.type === 'state' ? failure.detail ?? '' : '', /stopped 3 times.*paused/);
    await assert.rejects(c.complete('x', greedy), /stopped 3 times/, 'no more tries until the settings change');
    assert.equal(starts(), 3);
    c.configure({ ...config('ok') });
    assert.equal((await c.complete('y', greedy))?.text, 'ok:y');
    await c.dispose();
  });

  it('a worker that does not answer within the deadline is treated as hung and replaced', async () => {
    const { c, starts, events } = client('hang-on-complete', { replyDeadlineMs: 300 });
    await assert.rejects(c.complete('x', greedy), /no reply to "complete" within 300 ms \(the worker hangs\)/);
    assert.ok(events.some((e) => e.type === 'log' && /hangs/.test(e.message)));
    await until(() => starts() === 2 && c.state === 'ready');
    await c.dispose();
  });

  it('a worker hung inside a native ONNX Runtime call is replaced at once but stopped only when the call returns', () =>
    withFakeTimers(async () => {
      const workers: Worker[] = [];
      const exited = new Set<Worker>();
      const createWorker = recording((w) => {
        workers.push(w);
        w.once('exit', () => exited.add(w));
      });
      const { c, lines, events, release } = client('hang-in-native', { replyDeadlineMs: 300, createWorker });
      const hung = c.complete('x', greedy);
      await until(() => lines('native-start') === 1);
      mock.timers.tick(300); // the reply deadline passes
      await assert.rejects(hung, /the worker hangs/);
      mock.timers.tick(50); // the restart backoff
      // A new worker serves while the old one is still inside its call (terminating it now would abort the process).
      // Its deadline does not pass: the fake clock stands still however long the reply takes.
      await until(() => lines('start') === 2);
      assert.equal((await c.complete('y', greedy))?.text, 'ok:y');
      assert.equal(lines('native-done'), 0, 'served before the old call returned');
      assert.equal(exited.has(workers[0]), false, 'the old thread runs on inside its call');
      assert.ok(events.some((e) => e.type === 'log' && /inside an ONNX Runtime call; it is stopped when that call returns/.test(e.message)));
      release(); // the old call returns now (a client that waited for it would never have served)
      await until(() => exited.has(workers[0])); // then the old thread is stopped
      assert.equal(lines('native-done'), 1, 'after its call returned');
      await c.dispose();
    }));

  it('a long request that keeps saying "alive" is not mistaken for a hang', () =>
    withFakeTimers(async () => {
      let beats = 0;
      const { c, starts, release } = client('long-alive', {
        replyDeadlineMs: 1000,
        // Counted in the same 'message' dispatch as the client's own listener: a beat counted has reset its deadline.
        createWorker: recording((w) => w.on('message', (m: { type?: string }) => void (m.type === 'alive' && beats++))),
      });
      const reply = c.complete('slowly', greedy);
      // Three times: a beat arrives, then 900 ms pass on the client's clock; 2.7 s in all, past the 1 s deadline
      // (a client that ignored the beats would give up at the second tick).
      for (let i = 0; i < 3; i++) {
        const seen = beats;
        await until(() => beats > seen);
        mock.timers.tick(900);
        assert.equal(c.state, 'generating', `not taken for a hang after ${(i + 1) * 900} ms`);
      }
      release();
      assert.equal((await reply)?.text, 'ok:slowly');
      assert.equal(starts(), 1);
      await c.dispose();
    }));

  it('a worker that cannot start its runtime fails with its message, and the editor is not blocked', async () => {
    const { c } = client('fail-start');
    await assert.rejects(c.complete('x', greedy), /no runtime here/);
    assert.equal(c.state, 'failed');
    await c.dispose();
  });

  it('a worker that runs out of its heap limit is restarted, and the log says it ran out of memory', async () => {
    const hog =
      'const port = require("node:worker_threads").parentPort; port.postMessage({ type: "started", backend: "native", reason: "hog" });' +
      'port.on("message", () => { const a = []; for (;;) a.push(new Array(1 << 16).fill(1)); });';
    let made = 0;
    const events: ClientEvent[] = [];
    const c = new WorkerClient(config('ok'), {
      // The first worker fills a 64 MB heap on its first message; the next ones are the fake worker.
      createWorker: (workerData) => (made++ === 0 ? new Worker(hog, { eval: true, workerData, resourceLimits: { maxOldGenerationSizeMb: 64 } }) : sourceWorker(FAKE)(workerData)),
      backoffMs: [50],
      onEvent: (e) => events.push(e),
    });
    await assert.rejects(c.ensureLoaded(), /exited|memory/);
    assert.ok(
      events.some((e) => e.type === 'log' && /the model worker ran out of memory \(.*JS heap out of memory\)/.test(e.message)),
      JSON.stringify(events.filter((e) => e.type === 'log')),
    );
    await until(() => c.state === 'ready');
    assert.equal((await c.complete('x', greedy))?.text, 'ok:x');
    await c.dispose();
  });
});

describe('engine/workerClient: stopping a healthy worker', function () {
  this.timeout(30_000);

  it('a settings change asks the old worker to dispose (it exits by itself) instead of terminating it mid-run', async () => {
    const workers: Worker[] = [];
    process.env.LOCAL_GPT_FAKE_WORKER_LOG = path.join(os.tmpdir(), `fake-worker-graceful-${process.pid}`);
    const c = new WorkerClient(config('ok'), {
      createWorker: (workerData) => {
        const w = sourceWorker(FAKE)(workerData);
        workers.push(w);
        return w;
      },
    });
    try {
      assert.equal((await c.complete('x', greedy))?.text, 'ok:x');
      const exited = new Promise<number>((resolve) => workers[0].once('exit', resolve));
      c.configure({ ...config('ok'), start: { ...config('ok').start, threads: 2 } });
      // The fake worker answers "dispose" with process.exit(0); worker.terminate() would give exit code 1.
      assert.equal(await exited, 0);
      assert.equal((await c.complete('y', greedy))?.text, 'ok:y');
      assert.equal(workers.length, 2);
    } finally {
      await c.dispose();
      fs.rmSync(process.env.LOCAL_GPT_FAKE_WORKER_LOG, { force: true });
    }
  });
});
