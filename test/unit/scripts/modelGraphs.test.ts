/**
 * The ONNX graphs of a model folder are built from model.safetensors + config.json (scripts/lib/modelGraphs.ts):
 * byte-identical on every build, rebuilt when missing or stale, left alone when current.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureAllModelGraphs, ensureModelGraphs, SOURCE_KEY_FILE } from '../../../scripts/lib/modelGraphs';
import type { GptConfig } from '../../../src/model/config';
import { buildGptGraph } from '../../../src/model/export/gptGraph';
import { randomModel } from '../../../src/model/random';
import { writeWeights } from '../../../src/model/weights';

const CONFIG: GptConfig = { vocab_size: 50, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
const GRAPHS = ['onnx/model.onnx', 'onnx/model_quantized.onnx'];

describe('scripts/modelGraphs: ONNX graphs as a build output of model.safetensors', function () {
  this.timeout(60_000);
  let tmp: string;
  const folder = (name: string, seed = 1): string => {
    const dir = path.join(tmp, 'models', name);
    fs.mkdirSync(dir, { recursive: true });
    // Extra keys (the trainer's) do not change the graphs.
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', ...CONFIG, fim: true, val_loss: 3 }));
    writeWeights(path.join(dir, 'model.safetensors'), CONFIG, randomModel(CONFIG, seed));
    return dir;
  };
  const read = (dir: string) => GRAPHS.map((g) => fs.readFileSync(path.join(dir, g)));
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'model-graphs-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('two builds of the same weights give byte-identical graphs, equal to the exporter\'s', () => {
    const a = folder('a');
    const b = folder('b');
    assert.deepEqual(ensureModelGraphs(a).written, GRAPHS);
    assert.deepEqual(ensureModelGraphs(b).written, GRAPHS);
    assert.deepEqual(read(a), read(b));
    const weights = randomModel(CONFIG, 1);
    assert.deepEqual(read(a), [Buffer.from(buildGptGraph(CONFIG, weights)), Buffer.from(buildGptGraph(CONFIG, weights, { quantize: true }))]);
  });

  it('a current folder is left alone; missing, stale or foreign files are rebuilt', () => {
    const dir = folder('c');
    const first = ensureModelGraphs(dir);
    const built = read(dir);
    const mtime = fs.statSync(path.join(dir, GRAPHS[1])).mtimeMs;
    assert.deepEqual(ensureModelGraphs(dir).written, [], 'current: nothing written');
    assert.equal(fs.statSync(path.join(dir, GRAPHS[1])).mtimeMs, mtime);

    fs.rmSync(path.join(dir, GRAPHS[1]));
    assert.deepEqual(ensureModelGraphs(dir).written, GRAPHS, 'a missing graph is rebuilt');
    assert.deepEqual(read(dir), built);

    fs.writeFileSync(path.join(dir, 'onnx/model_attentions.onnx'), 'a file of an older layout');
    assert.deepEqual(ensureModelGraphs(dir).written, GRAPHS, 'a foreign file makes the folder stale');
    assert.equal(fs.existsSync(path.join(dir, 'onnx/model_attentions.onnx')), false);

    fs.rmSync(path.join(dir, 'onnx'), { recursive: true });
    assert.deepEqual(ensureModelGraphs(dir).written, GRAPHS, 'a missing folder is rebuilt');
    assert.deepEqual(read(dir), built);

    // Retrained weights: the old graphs are stale.
    writeWeights(path.join(dir, 'model.safetensors'), CONFIG, randomModel(CONFIG, 2));
    fs.writeFileSync(path.join(dir, 'onnx/model_attentions.onnx'), 'an older layout');
    const retrained = ensureModelGraphs(dir);
    assert.deepEqual(retrained.written, GRAPHS);
    assert.notEqual(retrained.key, first.key);
    assert.notDeepEqual(read(dir), built);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'onnx')).sort(), ['SOURCE_KEY', 'model.onnx', 'model_quantized.onnx'], 'only build outputs stay');
    assert.equal(fs.readFileSync(path.join(dir, SOURCE_KEY_FILE), 'utf8').trim(), retrained.key);

    // A config key the graphs do not read changes nothing; one they read does.
    const cfg = path.join(dir, 'config.json');
    fs.writeFileSync(cfg, JSON.stringify({ ...JSON.parse(fs.readFileSync(cfg, 'utf8')), val_loss: 2 }));
    assert.deepEqual(ensureModelGraphs(dir).written, []);
    fs.writeFileSync(cfg, JSON.stringify({ ...JSON.parse(fs.readFileSync(cfg, 'utf8')), layer_norm_epsilon: 1e-6 }));
    assert.deepEqual(ensureModelGraphs(dir).written, GRAPHS);
  });

  it('builds every folder with weights; bad input names the file', () => {
    const root = path.join(tmp, 'all');
    fs.mkdirSync(path.join(root, 'no-weights'), { recursive: true });
    fs.writeFileSync(path.join(root, 'no-weights', 'config.json'), '{}');
    assert.deepEqual(ensureAllModelGraphs(root), []);
    assert.throws(() => ensureModelGraphs(path.join(root, 'no-weights')), { message: `${path.join(root, 'no-weights', 'model.safetensors')}: missing (the ONNX graphs are built from it)` });
    const dir = folder('bad');
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', ...CONFIG, n_embd: 32 }));
    assert.throws(() => ensureModelGraphs(dir), (e: Error) => e.message.startsWith(path.join(dir, 'model.safetensors')));
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": ');
    assert.throws(() => ensureModelGraphs(dir), (e: Error) => e.message.startsWith(`${path.join(dir, 'config.json')}: not valid JSON`));
  });
});
