import { strict as assert } from 'node:assert';
import { parseHostMessage, parseWorkerMessage, type HostToWorker, type WorkerToHost } from '../../../src/engine/protocol';

const options = { maxNewTokens: 8, temperature: 0.2, topK: 40, topP: 0.95, seed: 7, stop: ['\n'] };
const timings = { promptTokens: 10, reusedTokens: 8, prefillMs: 1.5, decodeMs: 20, tokensPerSecond: 300 };
const model = { name: 'm', dir: '/m', modelType: 'gpt2', onnxFile: 'onnx/model.onnx', backend: 'wasm', contextLength: 512, vocabSize: 8192, capabilities: { fim: false } } as const;

describe('engine/protocol', () => {
  const hostMessages: HostToWorker[] = [
    { type: 'load', id: 1, source: { kind: 'embedded', name: 'e', dir: '/x/models/e' }, quantized: true, cacheDir: '/c', allowDownloads: false, remoteHost: 'https://huggingface.co/' },
    { type: 'load', id: 2, source: { kind: 'hub', id: 'a/b', revision: 'main' }, quantized: false, cacheDir: '/c', allowDownloads: true, remoteHost: 'http://127.0.0.1:1/' },
    { type: 'complete', id: 3, prompt: '// a.ts\nconst ', options },
    { type: 'cancel', id: 3 },
    { type: 'dispose' },
  ];
  for (const m of hostMessages) {
    it(`accepts host message ${m.type}${'source' in m ? ` (${m.source.kind})` : ''}`, () => assert.deepEqual(parseHostMessage(m), { ok: true, message: m }));
  }

  const workerMessages: WorkerToHost[] = [
    { type: 'started', backend: 'native', reason: 'auto' },
    { type: 'progress', id: 1, phase: 'download', file: 'onnx/model.onnx', loadedBytes: 10, totalBytes: null },
    { type: 'ready', id: 1, model, loadMs: 12 },
    { type: 'result', id: 3, text: 'x', generatedTokens: 1, stopReason: 'stop', timings },
    { type: 'cancelled', id: 3 },
    { type: 'alive', id: 3 },
    { type: 'error', id: null, code: 'backendFailed', message: 'no' },
    { type: 'disposed' },
  ];
  for (const m of workerMessages) {
    it(`accepts worker message ${m.type}`, () => assert.deepEqual(parseWorkerMessage(m), { ok: true, message: m }));
  }

  const badHost: [unknown, string][] = [
    [null, 'message must be an object'],
    [[1], 'message must be an object'],
    [{ type: 'complete', id: 1.5, prompt: '', options }, 'message.id must be an integer'],
    [{ type: 'complete', id: 1, prompt: '', options: { ...options, topP: 2 } }, 'message.options.topP must be <= 1'],
    [{ type: 'complete', id: 1, prompt: '', options: { ...options, temperature: Number.NaN } }, 'message.options.temperature must be a finite number'],
    [
      { type: 'complete', id: 1, prompt: '', options: { ...options, lineStop: { linePrefix: '', lineSuffix: '', nextLines: [], linesAbove: [3], multiline: true } } },
      'message.options.lineStop.linesAbove[0] must be a string',
    ],
    [{ type: 'complete', id: 1, prompt: '', options: { ...options, beamWidth: 9 } }, 'message.options.beamWidth must be <= 8'],
    [{ type: 'complete', id: 1, prompt: '', options: { ...options, beamWidth: 0 } }, 'message.options.beamWidth must be >= 1'],
    [{ type: 'load', id: 1, source: { kind: 'hub', id: 'a/b' }, quantized: true, cacheDir: '', allowDownloads: true, remoteHost: '' }, 'message.source.revision must be a string'],
  ];
  for (const [data, error] of badHost) {
    it(`rejects ${JSON.stringify(data)?.slice(0, 60)}: ${error}`, () => assert.deepEqual(parseHostMessage(data), { ok: false, error }));
  }

  it('rejects a worker reply with a wrong field', () => {
    assert.deepEqual(parseWorkerMessage({ type: 'result', id: 1, text: 'x', generatedTokens: 1, stopReason: 'bored', timings }), {
      ok: false,
      error: 'message.stopReason must be one of eos, stop, maxTokens, contextFull',
    });
  });

  it('a ready message names the FIM order or false', () => {
    for (const fim of ['psm', 'spm', false] as const) {
      assert.equal(parseWorkerMessage({ type: 'ready', id: 1, model: { ...model, capabilities: { fim } }, loadMs: 12 }).ok, true, String(fim));
    }
    assert.deepEqual(parseWorkerMessage({ type: 'ready', id: 1, model: { ...model, capabilities: { fim: true } }, loadMs: 12 }), {
      ok: false,
      error: 'message.model.capabilities.fim must be one of psm, spm',
    });
  });
});
