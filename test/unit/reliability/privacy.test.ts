/**
 * Privacy: in the default configuration (a local model folder, downloads off) loading a model and
 * completing makes no network request. The real engine runs in process (WorkerCore on
 * onnxruntime-node) with every way out of the process instrumented to record and fail.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startBackend, type Transformers } from '../../../src/engine/backend';
import type { GenerationOptions, HostToWorker, WorkerToHost } from '../../../src/engine/protocol';
import { WorkerCore } from '../../../src/engine/workerCore';
import { tinyGpt2 } from '../engine/fixtures/tinyModels';

const greedy: GenerationOptions = { maxNewTokens: 4, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };

/** Replaces the network entry points with recorders that fail; returns the calls and a restore function. */
function instrumentNetwork(): { calls: string[]; restore: () => void } {
  const calls: string[] = [];
  const fail = (what: string) => {
    calls.push(what);
    throw new Error(`network access in a privacy test: ${what}`);
  };
  type Patch = [object, string, unknown];
  const patches: Patch[] = [
    [globalThis, 'fetch', () => fail('fetch')],
    [http, 'request', () => fail('http.request')],
    [http, 'get', () => fail('http.get')],
    [https, 'request', () => fail('https.request')],
    [https, 'get', () => fail('https.get')],
    [net, 'connect', () => fail('net.connect')],
    [net, 'createConnection', () => fail('net.createConnection')],
    [net.Socket.prototype, 'connect', () => fail('net.Socket.connect')],
  ];
  const saved = patches.map(([obj, key]) => [obj, key, Object.getOwnPropertyDescriptor(obj, key)] as const);
  for (const [obj, key, value] of patches) Object.defineProperty(obj, key, { value, configurable: true, writable: true });
  return {
    calls,
    restore: () => {
      for (const [obj, key, desc] of saved) if (desc) Object.defineProperty(obj, key, desc);
    },
  };
}

describe('reliability/privacy: no network request in the default configuration', function () {
  this.timeout(120000);
  let transformers: Transformers;
  let cacheDir: string;
  before(async () => {
    transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-gpt-privacy-'));
  });
  after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  async function run(messages: HostToWorker[]): Promise<{ posted: WorkerToHost[]; calls: string[] }> {
    const posted: WorkerToHost[] = [];
    const probe = instrumentNetwork();
    try {
      const c = new WorkerCore({ transformers, backend: 'native', threads: 1, post: (m) => posted.push(m) });
      for (const m of messages) await c.handle(m);
      await c.handle({ type: 'dispose' });
    } finally {
      probe.restore();
    }
    return { posted, calls: probe.calls };
  }

  it('the instrumentation itself catches a request (so the zero below means something)', () => {
    const probe = instrumentNetwork();
    try {
      assert.throws(() => void fetch('http://127.0.0.1:9/'), /network access/);
      assert.throws(() => https.get('https://huggingface.co/'), /network access/);
      assert.throws(() => new net.Socket().connect(9, '127.0.0.1'), /network access/);
    } finally {
      probe.restore();
    }
    assert.equal(probe.calls.length, 3);
    assert.notEqual(globalThis.fetch.name, '', 'fetch restored');
  });

  it('a local model folder, downloads off: load + two completions make zero network calls', async () => {
    const load: HostToWorker = {
      type: 'load', id: 1, source: { kind: 'local', dir: tinyGpt2().dir }, quantized: false, cacheDir, allowDownloads: false, remoteHost: 'https://huggingface.co/',
    };
    const { posted, calls } = await run([
      load,
      { type: 'complete', id: 2, prompt: 'function add(a, b) {', options: greedy },
      { type: 'complete', id: 3, prompt: 'function add(a, b) {\n  return', options: greedy },
    ]);
    assert.deepEqual(calls, []);
    const terminal = posted.filter((m) => m.type !== 'progress' && m.type !== 'alive').map((m) => m.type);
    assert.deepEqual(terminal, ['ready', 'result', 'result', 'disposed'], JSON.stringify(posted).slice(0, 500));
  });

  it('a Hub id with downloads off: a clear downloadsDisabled error and no request', async () => {
    const { posted, calls } = await run([
      { type: 'load', id: 1, source: { kind: 'hub', id: 'someone/some-model', revision: 'main' }, quantized: false, cacheDir, allowDownloads: false, remoteHost: 'https://huggingface.co/' },
    ]);
    assert.deepEqual(calls, []);
    const error = posted.find((m) => m.type === 'error');
    assert.ok(error && error.type === 'error', JSON.stringify(posted));
    assert.equal(error.code, 'downloadsDisabled');
    assert.match(error.message, /someone\/some-model is not downloaded yet .* downloads are off.*localGpt\.allowDownloads/s);
  });

  it('a Hub id that tries to leave the cache folder (a/../../x): an error naming it, no request, nothing written outside', async () => {
    const before = fs.readdirSync(path.dirname(cacheDir)).length;
    const { posted, calls } = await run([
      { type: 'load', id: 1, source: { kind: 'hub', id: 'a/../../escaped', revision: 'main' }, quantized: false, cacheDir, allowDownloads: true, remoteHost: 'http://127.0.0.1:9/' },
    ]);
    assert.deepEqual(calls, []);
    const error = posted.find((m) => m.type === 'error');
    assert.ok(error && error.type === 'error' && /a\/\.\.\/\.\.\/escaped.*is not a Hugging Face model id/.test(error.message), JSON.stringify(posted));
    assert.ok(!fs.existsSync(path.join(cacheDir, 'escaped@main')) && !fs.existsSync(path.join(path.dirname(cacheDir), 'escaped@main')));
    assert.ok(fs.readdirSync(path.dirname(cacheDir)).length <= before + 1);
  });
});
