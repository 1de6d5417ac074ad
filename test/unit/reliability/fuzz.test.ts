/**
 * Fuzzing the three message boundaries with seeded random and malformed input: host -> worker
 * (WorkerCore.handle, in process, no model loaded), worker -> host (parseWorkerMessage) and
 * webview -> host (parseWebviewMessage). Each must never throw, must answer with a clear error
 * value, and must never touch Object.prototype.
 */
import { createRng } from '../../../src/engine/sampling';
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseWebviewMessage } from '../../../src/attention/messages';
import type { Transformers } from '../../../src/engine/backend';
import { parseHostMessage, parseWorkerMessage, type HostToWorker, type WorkerToHost } from '../../../src/engine/protocol';
import { WorkerCore } from '../../../src/engine/workerCore';

const prng = createRng;

const LONG = 'x'.repeat(200_000);
const SPECIAL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const TYPES = ['load', 'complete', 'cancel', 'dispose', 'attention', 'ready', 'requestRow', 'reveal', 'selection', 'setPinned', 'refresh',
  'started', 'progress', 'result', 'cancelled', 'alive', 'attentionResult', 'error', 'disposed', '', 'LOAD', '__proto__', 'constructor'];
const FIELDS = ['id', 'type', 'prompt', 'options', 'source', 'kind', 'dir', 'query', 'index', 'layer', 'view', 'head', 'pinned', 'text',
  'rows', 'cursor', 'maxTokens', 'model', 'timings', 'code', 'message', 'stop', 'seed', 'completion', ...SPECIAL_KEYS];

function junk(rand: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  switch (Math.floor(rand() * (depth > 3 ? 9 : 12))) {
    case 0: return pick([0, -1, 1, 0.5, -0, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_VALUE, Number.MIN_VALUE, Math.floor(rand() * 100)]);
    case 1: return pick([NaN, Infinity, -Infinity]);
    case 2: return pick(['', 'a', LONG, '\u0000\u0001', '\ud800', '<script>', 'load', 'complete', '__proto__', '💥'.repeat(1000)]);
    case 3: return pick([true, false]);
    case 4: return pick([null, undefined]);
    case 5: return pick([10n, Symbol('s')]);
    case 6: return () => 1;
    case 7: return pick([new Float32Array(3), new ArrayBuffer(5), new Date(0), /re/]);
    case 8: return Object.create(null) as object;
    case 9: return Array.from({ length: Math.floor(rand() * 4) }, () => junk(rand, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const n = Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) {
        // defineProperty so '__proto__' becomes an own key, as JSON.parse would make it
        Object.defineProperty(o, pick(FIELDS), { value: junk(rand, depth + 1), enumerable: true, configurable: true, writable: true });
      }
      return o;
    }
  }
}

/** A plausible message with one field broken: the realistic malformed case. */
function mutated(rand: () => number, valid: Record<string, unknown>[]): unknown {
  const base = structuredClone(valid[Math.floor(rand() * valid.length)]);
  const keys = Object.keys(base).filter((k) => k !== 'type');
  const r = rand();
  if (keys.length && r < 0.4) base[keys[Math.floor(rand() * keys.length)]] = junk(rand);
  else if (keys.length && r < 0.6) delete base[keys[Math.floor(rand() * keys.length)]];
  else if (r < 0.8) base.type = junk(rand);
  else Object.defineProperty(base, SPECIAL_KEYS[Math.floor(rand() * SPECIAL_KEYS.length)], { value: junk(rand), enumerable: true, configurable: true, writable: true });
  return base;
}

/** JSON text with prototype-pollution keys, parsed the way a message from another process would be. */
const POLLUTING_JSON = [
  '{"__proto__":{"polluted":1},"type":"cancel","id":1}',
  '{"type":"complete","id":1,"prompt":"x","options":{"__proto__":{"polluted":1}}}',
  '{"constructor":{"prototype":{"polluted":1}},"type":"dispose"}',
  '{"type":"selection","query":0,"layer":0,"view":{"kind":"head","head":0,"__proto__":{"polluted":1}}}',
  '{"type":"error","id":null,"code":"internal","message":"m","__proto__":{"polluted":1}}',
];

const CASES = 1500;

function protoSnapshot(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}
function assertPrototypeClean(before: string[]) {
  assert.deepEqual(protoSnapshot(), before, 'Object.prototype gained properties');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
}

/** JSON for an assertion message (junk may hold BigInts), cut short. */
const show = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))?.slice(0, 300) ?? String(v);

const greedy = { maxNewTokens: 4, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] as string[] };

describe('reliability/fuzz: message validators never throw and give clear errors', function () {
  this.timeout(60000);
  const proto = protoSnapshot();

  function inputs(seed: number, valid: Record<string, unknown>[]): unknown[] {
    const rand = prng(seed);
    const out: unknown[] = POLLUTING_JSON.map((j) => JSON.parse(j) as unknown);
    for (let i = 0; i < CASES; i++) out.push(rand() < 0.5 ? junk(rand) : mutated(rand, valid));
    return out;
  }

  it('worker -> host: parseWorkerMessage', () => {
    const valid: Record<string, unknown>[] = [
      { type: 'started', backend: 'native', reason: 'r' },
      { type: 'progress', id: 1, phase: 'load', file: 'f', loadedBytes: 1, totalBytes: null },
      { type: 'result', id: 1, text: 't', generatedTokens: 1, stopReason: 'eos', timings: { promptTokens: 1, reusedTokens: 0, prefillMs: 1, decodeMs: 1, tokensPerSecond: 1 } },
      { type: 'cancelled', id: 2 },
      { type: 'alive', id: 2 },
      { type: 'error', id: null, code: 'internal', message: 'm' },
      { type: 'disposed' },
    ];
    let rejected = 0;
    for (const input of inputs(1, valid)) {
      const r = parseWorkerMessage(input);
      if (!r.ok) {
        rejected++;
        assert.match(r.error, /^message(\.[\w]+|\[\d+\])* (must|is) /, r.error.slice(0, 200));
      }
    }
    assert.ok(rejected > CASES / 2, `only ${rejected} rejected`);
    assertPrototypeClean(proto);
  });

  it('webview -> host: parseWebviewMessage returns fresh objects with known fields only', () => {
    const valid: Record<string, unknown>[] = [
      { type: 'ready' },
      { type: 'refresh' },
      { type: 'requestRow', query: 3 },
      { type: 'reveal', index: 2 },
      { type: 'selection', query: 1, layer: 0, view: { kind: 'head', head: 1 } },
      { type: 'setPinned', pinned: true },
    ];
    const allowed: Record<string, string[]> = {
      ready: [], refresh: [], requestRow: ['query'], reveal: ['index'], selection: ['query', 'layer', 'view'], setPinned: ['pinned'],
    };
    let rejected = 0;
    for (const input of inputs(2, valid)) {
      const r = parseWebviewMessage(input);
      if (!r.ok) {
        rejected++;
        assert.match(r.error, /^message/, r.error);
        assert.ok(r.error.length < 300, 'error stays short even for a huge type string');
        continue;
      }
      assert.notEqual(r.message, input, 'a fresh object, not the input');
      assert.equal(Object.getPrototypeOf(r.message), Object.prototype);
      assert.deepEqual(Object.keys(r.message).sort(), ['type', ...allowed[r.message.type]].sort());
      for (const v of Object.values(r.message)) {
        if (typeof v === 'number') assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 20, `bounded index ${v}`);
      }
    }
    assert.ok(rejected > CASES / 2, `only ${rejected} rejected`);
    assertPrototypeClean(proto);
  });

  it('host -> worker: WorkerCore.handle answers each malformed message with one badMessage error', async () => {
    // No model, no network: a transformers object that fails loudly if anything reaches it.
    const transformers = new Proxy({}, { get: () => { throw new Error('transformers must not be used by malformed messages'); } }) as Transformers;
    const realFetch = globalThis.fetch;
    let fetches = 0;
    globalThis.fetch = (() => { fetches++; return Promise.reject(new Error('no network in fuzz test')); }) as typeof fetch;
    const missing = path.join(os.tmpdir(), 'local-gpt-fuzz-nonexistent');
    const valid: Record<string, unknown>[] = [
      { type: 'load', id: 1, source: { kind: 'local', dir: missing }, quantized: false, cacheDir: missing, allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' },
      { type: 'load', id: 2, source: { kind: 'hub', id: 'a/b', revision: 'main' }, quantized: false, cacheDir: missing, allowDownloads: false, remoteHost: 'http://127.0.0.1:9/' },
      { type: 'complete', id: 3, prompt: 'x', options: greedy },
      { type: 'cancel', id: 4 },
      { type: 'attention', id: 5, text: 'ab', baseOffset: 0, baseLine: 0, cursor: 1, maxTokens: 8, rows: [0], completion: null },
    ];
    /** The terminal replies a valid message gets from a worker with no model: [type, error code or ''] each. */
    const expected = (m: HostToWorker): [string, string][] => {
      switch (m.type) {
        case 'cancel': return []; // nothing in flight to cancel: no reply
        case 'dispose': return [['disposed', '']];
        case 'complete':
        case 'attention': return [['error', 'notLoaded']];
        case 'load': return m.source.kind === 'hub' ? [['error', 'downloadsDisabled']] : [['error', 'modelNotFound']];
        case 'cacheDocument':
        case 'cacheEdit':
        case 'cacheForget': return []; // the copy model's documents: no reply
      }
    };
    try {
      let rejected = 0;
      const checked = new Map<string, number>();
      const posted: WorkerToHost[] = [];
      const fresh = () => new WorkerCore({ transformers, backend: 'native', threads: 1, post: (m) => posted.push(m) });
      let c = fresh();
      for (const input of inputs(3, valid)) {
        const parsed = parseHostMessage(input);
        posted.length = 0;
        await c.handle(input); // must resolve, never reject
        const terminal = posted.filter((m) => m.type !== 'alive' && m.type !== 'progress');
        if (parsed.ok) {
          // Valid requests without a model: exactly the clear error the request calls for, for its id.
          const m = parsed.message;
          assert.deepEqual(
            terminal.map((r) => [r.type, r.type === 'error' ? r.code : '']),
            expected(m),
            `${show(input)} -> ${show(terminal)}`,
          );
          for (const r of terminal) if ('id' in r && r.type !== 'error') assert.equal(r.id, 'id' in m ? m.id : undefined);
          for (const r of terminal) if (r.type === 'error') assert.equal(r.id, 'id' in m ? m.id : null);
          checked.set(m.type, (checked.get(m.type) ?? 0) + 1);
          if (m.type === 'dispose') c = fresh(); // a disposed worker answers nothing more: the next inputs get a new one
          continue;
        }
        rejected++;
        assert.equal(terminal.length, 1, 'exactly one reply');
        const reply = terminal[0];
        assert.ok(reply.type === 'error' && reply.code === 'badMessage', JSON.stringify(reply).slice(0, 300));
        assert.match(reply.message, /^Local GPT worker: message/);
        // The reply itself is a valid worker -> host message (it crosses the boundary too).
        assert.ok(parseWorkerMessage(reply).ok, JSON.stringify(reply).slice(0, 300));
      }
      assert.ok(rejected > CASES / 2, `only ${rejected} rejected`);
      assert.equal(fetches, 0, 'no network request');
      // Every kind of valid message was checked, many times (the polluted dispose among them: acted on, nothing polluted).
      for (const type of ['load', 'complete', 'cancel', 'dispose', 'attention']) {
        assert.ok((checked.get(type) ?? 0) >= (type === 'dispose' ? 1 : 20), `valid ${type} messages checked: ${checked.get(type) ?? 0}`);
      }
    } finally {
      globalThis.fetch = realFetch;
    }
    assertPrototypeClean(proto);
  });
});
