/**
 * The worker's message handling, in process (onnxruntime-node): validation of every incoming
 * message, load errors as messages, one generation at a time with newer requests superseding
 * older ones, cancel and dispose.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startBackend, type Transformers } from '../../../src/engine/backend';
import type { GenerationOptions, HostToWorker, WorkerToHost } from '../../../src/engine/protocol';
import { WorkerCore } from '../../../src/engine/workerCore';
import { tinyGpt2, variantOf } from './fixtures/tinyModels';

const greedy: GenerationOptions = { maxNewTokens: 6, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };

describe('engine/workerCore (in process)', function () {
  this.timeout(60000);
  let transformers: Transformers;
  before(async () => {
    transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
  });

  function core() {
    const posted: WorkerToHost[] = [];
    const c = new WorkerCore({ transformers, backend: 'native', threads: 1, post: (m) => posted.push(m) });
    const send = (m: unknown) => c.handle(m);
    /** Terminal replies to a request (progress events left out). */
    const replies = (id: number) => posted.filter((m) => 'id' in m && m.id === id && m.type !== 'progress');
    return { c, posted, send, replies };
  }
  const load = (id: number, dir: string): HostToWorker => ({
    type: 'load',
    id,
    source: { kind: 'local', dir },
    quantized: false,
    cacheDir: '/nonexistent',
    allowDownloads: false,
    remoteHost: 'http://127.0.0.1:9/',
  });

  const malformed: [string, unknown, RegExp][] = [
    ['not an object', 'hello', /message must be an object/],
    ['unknown type', { type: 'explode' }, /message.type must be one of load, complete, cancel, dispose/],
    ['complete without a prompt', { type: 'complete', id: 3, options: greedy }, /message.prompt must be a string/],
    ['negative maxNewTokens', { type: 'complete', id: 4, prompt: 'x', options: { ...greedy, maxNewTokens: -1 } }, /message.options.maxNewTokens must be >= 1/],
    ['stop is not a list of strings', { type: 'complete', id: 5, prompt: 'x', options: { ...greedy, stop: [1] } }, /message.options.stop\[0\] must be a string/],
    ['load with a bad source', { ...load(6, '/x'), source: { kind: 'ftp' } }, /message.source.kind must be one of embedded, local, hub/],
  ];
  for (const [name, message, error] of malformed) {
    it(`malformed message (${name}) -> an error message, no crash`, async () => {
      const { send, posted } = core();
      await send(message);
      assert.equal(posted.length, 1);
      const reply = posted[0];
      assert.equal(reply.type, 'error');
      if (reply.type !== 'error') return;
      assert.equal(reply.code, 'badMessage');
      assert.match(reply.message, error);
      assert.equal(reply.id, typeof message === 'object' && message && 'id' in message ? (message as { id: number }).id : null);
    });
  }

  it('complete before any load -> notLoaded', async () => {
    const { send, replies } = core();
    await send({ type: 'complete', id: 1, prompt: 'x', options: greedy });
    assert.deepEqual(replies(1).map((m) => m.type === 'error' && m.code), ['notLoaded']);
  });

  it('a missing folder and a folder without its ONNX graph -> errors naming the path', async () => {
    const { send, replies } = core();
    await send(load(1, '/nonexistent/model'));
    const [missing] = replies(1);
    assert.ok(missing.type === 'error' && missing.code === 'modelNotFound' && missing.message.includes('/nonexistent/model'), JSON.stringify(missing));
    const broken = variantOf(tinyGpt2().dir, 'no-onnx', (dir) => fs.rmSync(path.join(dir, 'onnx'), { recursive: true }));
    await send(load(2, broken));
    const [invalid] = replies(2);
    assert.ok(invalid.type === 'error' && invalid.code === 'invalidModel' && invalid.message.includes(path.join(broken, 'onnx/model.onnx')), JSON.stringify(invalid));
  });

  it('a corrupt ONNX file -> invalidModel naming the file, and the worker keeps working', async () => {
    const { send, replies } = core();
    const corrupt = variantOf(tinyGpt2().dir, 'corrupt-onnx', (dir) => fs.writeFileSync(path.join(dir, 'onnx/model.onnx'), 'not a model'));
    await send(load(1, corrupt));
    const [reply] = replies(1);
    assert.ok(reply.type === 'error' && reply.code === 'invalidModel' && reply.message.includes('onnx/model.onnx'), JSON.stringify(reply));
    await send(load(2, tinyGpt2().dir));
    assert.equal(replies(2)[0]?.type, 'ready');
  });

  // Broken folders the user may point localGpt.model at: each load fails with a message naming the
  // problem (and a completion afterwards says the model is not loaded), never a crash or a hang.
  const config = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const writeConfig = (dir: string, edit: (c: Record<string, unknown>) => void) => {
    const c = config(dir);
    edit(c);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
  };
  const brokenFolders: [string, (dir: string) => void, RegExp][] = [
    ['a truncated ONNX file', (d) => fs.truncateSync(path.join(d, 'onnx/model.onnx'), Math.floor(fs.statSync(path.join(d, 'onnx/model.onnx')).size / 2)), /onnx\/model\.onnx/],
    ['a missing tokenizer', (d) => fs.rmSync(path.join(d, 'tokenizer.json')), /tokenizer\.json is missing/],
    ['a tokenizer that is not JSON', (d) => fs.writeFileSync(path.join(d, 'tokenizer.json'), '{"model": '), /tokenizer/i],
    ['an unsupported architecture (an encoder, model_type bert)', (d) => writeConfig(d, (c) => (c.model_type = 'bert')), /bert/],
    ['config.json with fewer layers than the graph', (d) => writeConfig(d, (c) => (c.n_layer = 1)), /config\.json declares 1 layers but onnx\/model\.onnx has 2 \(past_key_values inputs\): the config and the graph come from different models/],
    ['config.json with another vocabulary size than the graph', (d) => writeConfig(d, (c) => (c.vocab_size = 500)), /declares vocab_size 500 but onnx\/model\.onnx gives logits over 300 tokens/],
  ];
  for (const [name, breakIt, message] of brokenFolders) {
    it(`${name}: load fails with a message naming it; completions say not loaded; the worker keeps working`, async () => {
      const { send, replies } = core();
      const dir = variantOf(tinyGpt2().dir, `broken-${name.replace(/\W+/g, '-')}`, breakIt);
      await send(load(1, dir));
      const [reply] = replies(1);
      assert.ok(reply?.type === 'error', `${name}: ${JSON.stringify(reply)}`);
      if (reply.type !== 'error') return;
      assert.match(reply.message, message, `${name}: ${reply.message}`);
      await send({ type: 'complete', id: 2, prompt: 'function add(', options: greedy });
      assert.deepEqual(replies(2).map((m) => m.type === 'error' && m.code), ['notLoaded']);
      await send(load(3, tinyGpt2().dir));
      assert.equal(replies(3)[0]?.type, 'ready');
    });
  }

  it('load -> ready; complete -> result with timings; one more character reuses the prefix', async () => {
    const { send, replies, posted } = core();
    await send(load(1, tinyGpt2().dir));
    const [ready] = replies(1);
    assert.ok(ready.type === 'ready' && ready.model.modelType === 'gpt2' && ready.model.backend === 'native');
    assert.ok(posted.some((m) => m.type === 'progress' && m.id === 1 && m.phase === 'load' && m.file === 'onnx/model.onnx'), 'load progress');
    await send({ type: 'complete', id: 2, prompt: 'function add(a, b) {\n  return', options: greedy });
    const [first] = replies(2);
    assert.ok(first.type === 'result', JSON.stringify(first));
    if (first.type !== 'result') return;
    assert.equal(first.generatedTokens, 6);
    assert.equal(first.timings.reusedTokens, 0);
    await send({ type: 'complete', id: 3, prompt: 'function add(a, b) {\n  return a', options: greedy });
    const [second] = replies(3);
    assert.ok(second.type === 'result' && second.timings.reusedTokens >= first.timings.promptTokens - 1, JSON.stringify(second));
  });

  it('the copy model: documents sent by cacheDocument/cacheEdit steer an unsure model to continue as they do', async () => {
    const { c, send, replies } = core();
    await send(load(1, tinyGpt2().dir));
    const line = 'const alpha = computeTotal(items, options);\n';
    const prompt = 'const alpha = compute';
    const doc = `${line}const beta = 2;\n${prompt}`;
    await send({ type: 'cacheDocument', key: 'file:///a.ts', languageId: 'js', version: 1, text: 'const beta = 1;\n' });
    await send({ type: 'cacheEdit', key: 'file:///a.ts', version: 2, edits: [{ offset: 0, deleteCount: 0, text: line }, { offset: 57, deleteCount: 1, text: '2' }, { offset: 60, deleteCount: 0, text: prompt }] });
    assert.equal(c.cacheStore.textOf('file:///a.ts'), doc);
    await send({ type: 'complete', id: 2, prompt, options: { ...greedy, cache: { documentKey: 'file:///a.ts', languageId: 'js', cursorOffset: doc.length } } });
    await send({ type: 'complete', id: 3, prompt, options: greedy });
    const [mixed] = replies(2);
    const [alone] = replies(3);
    assert.ok(mixed.type === 'result' && alone.type === 'result');
    if (mixed.type !== 'result' || alone.type !== 'result') return;
    const continuation = line.slice(prompt.length);
    assert.ok(mixed.text.length > 0 && continuation.startsWith(mixed.text), `with the cache: ${JSON.stringify(mixed.text)}`);
    assert.ok(!continuation.startsWith(alone.text), `the random model alone: ${JSON.stringify(alone.text)}`);
    await send({ type: 'cacheForget', key: 'file:///a.ts' });
    assert.equal(c.cacheStore.has('file:///a.ts'), false);
  });

  it('a newer request supersedes the older one (answered cancelled); cancel by id; dispose', async () => {
    const { send, replies, posted } = core();
    await send(load(1, tinyGpt2().dir));
    const older = send({ type: 'complete', id: 2, prompt: 'const value = ', options: { ...greedy, maxNewTokens: 60 } });
    const newer = send({ type: 'complete', id: 3, prompt: 'const value = c', options: greedy });
    await Promise.all([older, newer]);
    assert.deepEqual(replies(2).map((m) => m.type), ['cancelled']);
    assert.deepEqual(replies(3).map((m) => m.type), ['result']);

    const running = send({ type: 'complete', id: 4, prompt: 'for (let i', options: { ...greedy, maxNewTokens: 60 } });
    await send({ type: 'cancel', id: 4 });
    await running;
    assert.deepEqual(replies(4).map((m) => m.type), ['cancelled']);

    await send({ type: 'dispose' });
    assert.equal(posted.at(-1)?.type, 'disposed');
    await send({ type: 'complete', id: 5, prompt: 'x', options: greedy });
    assert.deepEqual(replies(5), [], 'a disposed worker ignores requests');
  });

  it('a request superseded while it waits its turn is answered at once, not after the model runs queued before it', async () => {
    const { send, replies, posted } = core();
    await send(load(1, tinyGpt2().dir));
    const attention: HostToWorker = {
      type: 'attention', id: 3, text: 'function add(a, b) {\n  return a + b;\n}', baseOffset: 0, baseLine: 0, cursor: 10, maxTokens: 64, rows: [], completion: null,
    };
    // 2 runs first; the attention pass and 4 wait behind it; 5 supersedes 2 and 4.
    const sent = [
      send({ type: 'complete', id: 2, prompt: 'const value = ', options: { ...greedy, maxNewTokens: 60 } }),
      send(attention),
      send({ type: 'complete', id: 4, prompt: 'const value = 1', options: greedy }),
      send({ type: 'complete', id: 5, prompt: 'const value = 12', options: greedy }),
    ];
    await Promise.all(sent);
    const order = posted.filter((m) => 'id' in m && m.id !== null && m.id > 1 && m.type !== 'alive').map((m) => `${m.type} ${'id' in m ? m.id : ''}`);
    assert.deepEqual(order, ['cancelled 2', 'cancelled 4', 'attentionResult 3', 'result 5']);
    assert.deepEqual(replies(4).map((m) => m.type), ['cancelled'], 'answered once');

    // A cancel by id of a request that waits behind an attention pass: answered before that pass ends.
    const before = posted.length;
    await Promise.all([
      send({ ...attention, id: 6 }),
      send({ type: 'complete', id: 7, prompt: 'for (let i', options: greedy }),
      send({ type: 'cancel', id: 7 }),
    ]);
    assert.deepEqual(posted.slice(before).filter((m) => m.type !== 'alive').map((m) => `${m.type} ${'id' in m ? m.id : ''}`), ['cancelled 7', 'attentionResult 6']);

    // An attention request is not superseded by a newer completion, but a cancel by id answers it at once
    // while it waits (the panel cancels the pass it no longer needs).
    const later = posted.length;
    await Promise.all([
      send({ type: 'complete', id: 8, prompt: 'for (let i', options: greedy }),
      send({ ...attention, id: 9 }),
      send({ type: 'complete', id: 10, prompt: 'for (let i =', options: greedy }),
      send({ ...attention, id: 11 }),
      send({ type: 'cancel', id: 11 }),
    ]);
    assert.deepEqual(posted.slice(later).filter((m) => m.type !== 'alive').map((m) => `${m.type} ${'id' in m ? m.id : ''}`), ['cancelled 8', 'cancelled 11', 'attentionResult 9', 'result 10']);
    await send({ type: 'dispose' });
  });
});
