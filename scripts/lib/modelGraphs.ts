/**
 * The ONNX graphs of a model folder are a build output: the repository stores each model's weights once
 * (`model.safetensors` + `config.json`), and `npm run build` (esbuild.js -> scripts/model-graphs.ts), the
 * bench, `npm run complete` and the tests that run the embedded model derive `onnx/model.onnx` and
 * `onnx/model_quantized.onnx` from them with the project's exporter. The output is deterministic
 * (the same bytes from the same weights and exporter), and is rebuilt only when missing or stale:
 * `onnx/SOURCE_KEY` records a hash of the weights, the graph-relevant config and the exporter sources.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configFromJson, type GptConfig } from '../../src/model/config';
import { buildGptGraph } from '../../src/model/export/gptGraph';
import { CONFIG_FILE, ONNX_FILES, WEIGHTS_FILE } from '../../src/model/folderLayout';
import { decodeSafetensors } from '../../src/model/weights';
import { EXPORT_SOURCES, sourceHash } from './sourceHash';

/** Written last, so a build cut short leaves a folder that is rebuilt next time. */
export const SOURCE_KEY_FILE = 'onnx/SOURCE_KEY';

interface GraphBuild {
  dir: string;
  /** Files written (relative to dir), empty when the graphs were current. */
  written: string[];
  key: string;
}

function readConfig(dir: string): GptConfig {
  const file = path.join(dir, CONFIG_FILE);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not valid JSON (${(e as Error).message})`}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: expected a JSON object`);
  return configFromJson(json as Record<string, unknown>, file);
}

/** What the graphs depend on: the weights' bytes, the config keys the exporter reads, the exporter's code. */
function graphKey(config: GptConfig, weights: Uint8Array): string {
  const keys = Object.keys(config).sort() as (keyof GptConfig)[];
  return createHash('sha256')
    .update(createHash('sha256').update(weights).digest('hex'))
    .update(JSON.stringify(keys.map((k) => [k, config[k]])))
    .update(sourceHash(EXPORT_SOURCES))
    .digest('hex')
    .slice(0, 16);
}

const shown = (dir: string): string => path.relative(process.cwd(), dir) || dir;

/** Does `dir` hold a model whose graphs this builds (a GPT-2 `model.safetensors` next to `config.json`)? */
export function hasSourceWeights(dir: string): boolean {
  return fs.existsSync(path.join(dir, WEIGHTS_FILE)) && fs.existsSync(path.join(dir, CONFIG_FILE));
}

/** Writes `onnx/model.onnx` and `onnx/model_quantized.onnx` of `dir` unless they are current. */
export function ensureModelGraphs(dir: string, log: (line: string) => void = () => {}): GraphBuild {
  const weightsFile = path.join(dir, WEIGHTS_FILE);
  if (!fs.existsSync(weightsFile)) throw new Error(`${weightsFile}: missing (the ONNX graphs are built from it)`);
  const config = readConfig(dir);
  const bytes = fs.readFileSync(weightsFile);
  const key = graphKey(config, bytes);
  const keyFile = path.join(dir, SOURCE_KEY_FILE);
  const graphs = [ONNX_FILES.fp32, ONNX_FILES.q8];
  const outputs = [SOURCE_KEY_FILE, ...graphs].map((f) => path.basename(f)).sort();
  const present = fs.existsSync(path.join(dir, 'onnx')) ? fs.readdirSync(path.join(dir, 'onnx')).sort() : [];
  const current = present.join('\n') === outputs.join('\n') && fs.readFileSync(keyFile, 'utf8').trim() === key;
  if (current) return { dir, written: [], key };

  const started = Date.now();
  const weights = decodeSafetensors(config, bytes, weightsFile);
  fs.rmSync(keyFile, { force: true });
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  // The folder is all build output: an older layout's files (a separate model_attentions.onnx) would be loaded instead.
  for (const f of fs.readdirSync(path.join(dir, 'onnx'))) {
    const rel = `onnx/${f}`;
    if (!graphs.includes(rel as (typeof graphs)[number])) {
      fs.rmSync(path.join(dir, rel), { recursive: true, force: true });
      log(`${shown(dir)}: removed ${rel} (not a build output)`);
    }
  }
  const build: Record<string, () => Uint8Array> = {
    [ONNX_FILES.fp32]: () => buildGptGraph(config, weights),
    [ONNX_FILES.q8]: () => buildGptGraph(config, weights, { quantize: true }),
  };
  for (const g of graphs) {
    // Through a temp file: a reader never sees half a graph.
    const tmp = path.join(dir, `${g}.tmp-${process.pid}`);
    fs.writeFileSync(tmp, build[g]());
    fs.renameSync(tmp, path.join(dir, g));
  }
  fs.writeFileSync(keyFile, `${key}\n`);
  log(`${shown(dir)}: built ${graphs.join(', ')} from ${WEIGHTS_FILE} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { dir, written: graphs, key };
}

/** Every model folder under `modelsDir` that has source weights, built where needed. */
export function ensureAllModelGraphs(modelsDir: string, log: (line: string) => void = () => {}): GraphBuild[] {
  if (!fs.existsSync(modelsDir)) return [];
  return fs
    .readdirSync(modelsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && hasSourceWeights(path.join(modelsDir, e.name)))
    .map((e) => ensureModelGraphs(path.join(modelsDir, e.name), log));
}
