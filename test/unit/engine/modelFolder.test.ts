import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { capabilitiesOf, contextLengthOf, inspectModelFolder, ModelFolderError } from '../../../src/engine/modelFolder';
import { resolveModelSetting, hubModelDir, sourceName } from '../../../src/engine/modelSource';
import { chooseBackend, findNativeBinding, startBackend, threadCount } from '../../../src/engine/backend';
import { tinyGpt2, variantOf } from './fixtures/tinyModels';

const fimTokenizer = { added_tokens: [{ content: '<fim_prefix>' }, { content: '<fim_middle>' }, { content: '<fim_suffix>' }] };

describe('engine/modelFolder', () => {
  it("the embedded model's tokenizer_config.json gives its context length as model_max_length (as the exporter writes it)", () => {
    const dir = path.join(__dirname, '..', '..', '..', 'models', 'localgpt-code-small');
    const tokenizerConfig = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')) as { model_max_length: number };
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { n_positions: number };
    assert.equal(tokenizerConfig.model_max_length, config.n_positions);
  });

  it('describes an exported GPT-2 folder', () => {
    const f = inspectModelFolder(tinyGpt2().dir, { quantized: true });
    assert.deepEqual(
      { type: f.modelType, onnx: f.onnxFile, dtype: f.dtype, ctx: f.contextLength, vocab: f.vocabSize, eos: f.eosTokenIds, note: f.note },
      { type: 'gpt2', onnx: 'onnx/model_quantized.onnx', dtype: 'q8', ctx: 128, vocab: 300, eos: [0], note: null },
    );
  });

  it('falls back to fp32 with a note when the quantized graph is missing', () => {
    const dir = variantOf(tinyGpt2().dir, 'no-q8', (d) => fs.rmSync(path.join(d, 'onnx/model_quantized.onnx')));
    const f = inspectModelFolder(dir, { quantized: true });
    assert.equal(f.onnxFile, 'onnx/model.onnx');
    assert.match(f.note ?? '', /model_quantized.onnx is missing .* using the fp32 graph/);
  });

  it('falls back to the int8 graph with a note when localGpt.quantized is off and only the int8 graph exists (the VSIX layout)', () => {
    const dir = variantOf(tinyGpt2().dir, 'no-fp32', (d) => fs.rmSync(path.join(d, 'onnx/model.onnx')));
    const f = inspectModelFolder(dir, { quantized: false });
    assert.deepEqual([f.onnxFile, f.dtype], ['onnx/model_quantized.onnx', 'q8']);
    assert.equal(f.note, `onnx/model.onnx is missing in ${dir} (localGpt.quantized is off); using the int8 graph onnx/model_quantized.onnx`);
    assert.equal(inspectModelFolder(tinyGpt2().dir, { quantized: false }).note, null, 'no note when the fp32 graph exists');
  });

  it('a folder with neither graph names onnx/model.onnx', () => {
    const dir = variantOf(tinyGpt2().dir, 'no-graphs', (d) => fs.rmSync(path.join(d, 'onnx'), { recursive: true }));
    for (const quantized of [true, false]) {
      assert.throws(() => inspectModelFolder(dir, { quantized }), { message: `${path.join(dir, 'onnx/model.onnx')} is missing: the folder has no ONNX graph to run (export the model first)` });
    }
  });

  const broken: [string, (dir: string) => void, RegExp][] = [
    ['config.json missing', (d) => fs.rmSync(path.join(d, 'config.json')), /config.json is missing/],
    ['config.json not JSON', (d) => fs.writeFileSync(path.join(d, 'config.json'), '{oops'), /config.json is not valid JSON/],
    ['no model_type', (d) => fs.writeFileSync(path.join(d, 'config.json'), '{"vocab_size": 3, "n_positions": 8}'), /has no "model_type"/],
    ['no context length', (d) => fs.writeFileSync(path.join(d, 'config.json'), '{"model_type": "gpt2", "vocab_size": 3}'), /has no context length/],
    ['tokenizer.json missing', (d) => fs.rmSync(path.join(d, 'tokenizer.json')), /tokenizer.json is missing/],
  ];
  for (const [name, edit, message] of broken) {
    it(`names the file when ${name}`, () => {
      const dir = variantOf(tinyGpt2().dir, `broken-${name.replace(/\W+/g, '-')}`, edit);
      assert.throws(() => inspectModelFolder(dir, { quantized: false }), (e: unknown) => e instanceof ModelFolderError && e.code === 'invalidModel' && message.test(e.message) && e.message.includes(dir));
    });
  }

  it('a missing folder is modelNotFound', () => {
    assert.throws(() => inspectModelFolder('/nonexistent/x', { quantized: false }), (e: unknown) => e instanceof ModelFolderError && e.code === 'modelNotFound');
  });

  it('FIM needs both the tokens and the training flag, which names the order (true: the older key, psm)', () => {
    assert.deepEqual(capabilitiesOf({ fim: 'spm' }, fimTokenizer), { fim: 'spm' });
    assert.deepEqual(capabilitiesOf({ fim: 'psm' }, fimTokenizer), { fim: 'psm' });
    assert.deepEqual(capabilitiesOf({ fim: true }, fimTokenizer), { fim: 'psm' });
    assert.deepEqual(capabilitiesOf({ fim: 'msp' }, fimTokenizer), { fim: false }, 'an order we cannot build');
    assert.deepEqual(capabilitiesOf({}, fimTokenizer), { fim: false }, 'prefix-only model with FIM tokens');
    assert.deepEqual(capabilitiesOf({ fim: 'spm' }, { added_tokens: [] }), { fim: false });
    assert.deepEqual(capabilitiesOf({ fim: 'spm' }, { model: { vocab: { '<fim_prefix>': 1, '<fim_middle>': 2, '<fim_suffix>': 3 } } }), { fim: 'spm' });
  });

  it('context length under each architecture’s name', () => {
    assert.equal(contextLengthOf({ n_positions: 512 }), 512);
    assert.equal(contextLengthOf({ max_position_embeddings: 2048 }), 2048);
    assert.equal(contextLengthOf({ hidden_size: 8 }), null);
  });
});

describe('engine/modelSource', () => {
  const root = '/ext';
  const cases: [string, ReturnType<typeof resolveModelSetting>][] = [
    ['', { ok: true, source: { kind: 'embedded', name: 'localgpt-code-small', dir: path.join('/ext', 'models', 'localgpt-code-small') } }],
    ['localgpt-code-small', { ok: true, source: { kind: 'embedded', name: 'localgpt-code-small', dir: path.join('/ext', 'models', 'localgpt-code-small') } }],
    ['/models/mine', { ok: true, source: { kind: 'local', dir: '/models/mine' } }],
    ['~/m', { ok: true, source: { kind: 'local', dir: path.join('/home/u', 'm') } }],
    ['Xenova/gpt2', { ok: true, source: { kind: 'hub', id: 'Xenova/gpt2', revision: 'main' } }],
    ['Xenova/gpt2@v2', { ok: true, source: { kind: 'hub', id: 'Xenova/gpt2', revision: 'v2' } }],
  ];
  for (const [setting, expected] of cases) {
    it(`resolves ${JSON.stringify(setting)}`, () => assert.deepEqual(resolveModelSetting(setting, root, 'localgpt-code-small', { home: '/home/u' }), expected));
  }
  for (const bad of ['a/b/c', 'just-a-name']) {
    it(`rejects ${JSON.stringify(bad)} with a message naming the setting`, () => {
      const r = resolveModelSetting(bad, root, 'e', { workspaceRoot: '/ws', isFolder: () => false });
      assert.ok(!r.ok && r.error.startsWith('localGpt.model:') && r.error.includes(bad));
    });
  }
  it('a relative folder: ./ and ../ from the workspace, or an existing workspace folder with one slash; else a Hub id', () => {
    const inWorkspace = { workspaceRoot: '/ws', isFolder: (dir: string) => dir === path.resolve('/ws/models/my-model') };
    assert.deepEqual(resolveModelSetting('./models/relative', root, 'e', inWorkspace), { ok: true, source: { kind: 'local', dir: path.resolve('/ws/models/relative') } });
    assert.deepEqual(resolveModelSetting('../x/y', root, 'e', inWorkspace), { ok: true, source: { kind: 'local', dir: path.resolve('/x/y') } });
    assert.deepEqual(resolveModelSetting('models/my-model', root, 'e', inWorkspace), { ok: true, source: { kind: 'local', dir: path.resolve('/ws/models/my-model') } });
    assert.deepEqual(resolveModelSetting('Xenova/gpt2', root, 'e', inWorkspace), { ok: true, source: { kind: 'hub', id: 'Xenova/gpt2', revision: 'main' } });
    // On disk, not through the test's isFolder: the real check.
    const real = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'));
    try {
      fs.mkdirSync(path.join(real, 'models', 'my-model'), { recursive: true });
      assert.deepEqual(resolveModelSetting('models/my-model', root, 'e', { workspaceRoot: real }), { ok: true, source: { kind: 'local', dir: path.join(real, 'models', 'my-model') } });
      assert.equal(resolveModelSetting('models/other', root, 'e', { workspaceRoot: real }).ok && 'hub', 'hub');
    } finally {
      fs.rmSync(real, { recursive: true, force: true });
    }
    const noWorkspace = resolveModelSetting('./models/relative', root, 'e');
    assert.ok(!noWorkspace.ok && /relative to the workspace, and no workspace folder is open/.test(noWorkspace.error), JSON.stringify(noWorkspace));
  });
  it('cache folder and display names', () => {
    assert.equal(hubModelDir('/c', 'a/b', 'main'), path.join('/c', 'models', 'a--b@main'));
    assert.equal(sourceName({ kind: 'hub', id: 'a/b', revision: 'v1' }), 'a/b@v1');
    assert.equal(sourceName({ kind: 'local', dir: '/x/my-model' }), 'my-model');
  });
});

describe('engine/backend choice', () => {
  it('wasm in a platform VSIX (no dist/wasm): the error says to use auto/native or the universal VSIX', async () => {
    const wasmPaths = path.join(os.tmpdir(), 'no-such-extension', 'dist', 'wasm');
    await assert.rejects(startBackend('wasm', { wasmPaths, threads: 1 }), (e: Error) =>
      e.message.startsWith(`localGpt.backend is "wasm" but this installation has no WebAssembly runtime (${path.join(wasmPaths, 'ort-wasm-simd-threaded.wasm')} does not exist).`) &&
      e.message.includes('set localGpt.backend to "auto" or "native", or install the universal VSIX (local-gpt-<version>.vsix, WebAssembly only)'),
    );
  });

  it('auto prefers native where its binary exists, else wasm', () => {
    assert.equal(chooseBackend('auto', '/b/onnxruntime_binding.node', 'linux-x64').backend, 'native');
    const fallback = chooseBackend('auto', null, 'freebsd-x64');
    assert.equal(fallback.backend, 'wasm');
    assert.match(fallback.reason, /no binary for freebsd-x64/);
  });
  it('native without a binary is an error saying what to do', () => {
    assert.throws(() => chooseBackend('native', null, 'linux-riscv64'), /no binary for linux-riscv64\. Set localGpt.backend to "auto" or "wasm"/);
  });
  it('wasm is always possible', () => assert.equal(chooseBackend('wasm', '/b', 'linux-x64').backend, 'wasm'));
  it('finds the first existing binding', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bind-'));
    fs.writeFileSync(path.join(dir, 'b.node'), '');
    assert.equal(findNativeBinding([path.join(dir, 'a.node'), path.join(dir, 'b.node')]), path.join(dir, 'b.node'));
    assert.equal(findNativeBinding([path.join(dir, 'a.node')]), null);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  it('threads: the setting, or half the cores', () => {
    assert.equal(threadCount(3, 16), 3);
    assert.equal(threadCount(0, 16), 8);
    assert.equal(threadCount(0, 1), 1);
  });
});
