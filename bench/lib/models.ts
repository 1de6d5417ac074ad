/**
 * The models the bench runs: the embedded model (`models/<package.json localGpt.embeddedModel>/`,
 * or a random model of its training config when it has not been trained yet) and a
 * GPT-2-small-shaped random model. Random folders are exported once and cached under bench/tmp/
 * (git-ignored), keyed by their config, so reruns skip the export.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parameterCount, type GptConfig } from '../../src/model/config';
import { CONFIG_FILE, ONNX_FILES, TOKENIZER_FILE } from '../../src/model/folderLayout';
import { trainBpe, writeTokenizerFiles } from '../../src/model/tokenizer';
import { runCell } from './child';
import type { BenchModel } from './types';
import { EXPORT_SOURCES, sourceHash } from '../../scripts/lib/sourceHash';
import { ensureModelGraphs, hasSourceWeights } from '../../scripts/lib/modelGraphs';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TMP = path.join(ROOT, 'bench', 'tmp');

/** GPT-2 small (124M): 12 layers, 768 wide, 12 heads, vocab 50257, 1024 positions. */
const GPT2_SMALL: GptConfig = {
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  layer_norm_epsilon: 1e-5,
  bos_token_id: 0,
  eos_token_id: 0,
};

/**
 * The embedded model's shape when training/configs/embedded.json does not exist yet: the example
 * in training/trainer/config.ts (4 layers, 256 wide, 4 heads, 512 positions) with the corpus
 * tokenizer's 8192-token vocabulary.
 */
const EMBEDDED_FALLBACK: GptConfig = {
  vocab_size: 8192,
  n_positions: 512,
  n_embd: 256,
  n_layer: 4,
  n_head: 4,
  layer_norm_epsilon: 1e-5,
  bos_token_id: 0,
  eos_token_id: 0,
};

function readJson(file: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** The embedded model's config from training/configs/embedded.json (model section), and where it came from. */
function embeddedConfig(root = ROOT): { config: GptConfig; from: string } {
  const file = path.join(root, 'training', 'configs', 'embedded.json');
  if (!fs.existsSync(file)) return { config: EMBEDDED_FALLBACK, from: 'training/configs/embedded.json is missing: 4 layers x 256 wide, 4 heads, 512 positions, vocab 8192 assumed' };
  const model = readJson(file).model as Record<string, unknown> | undefined;
  if (!model || typeof model !== 'object') throw new Error(`${file}: has no "model" object`);
  let vocab = model.vocab_size;
  const meta = path.join(root, 'data', 'corpus', 'meta.json');
  if (typeof vocab !== 'number') vocab = fs.existsSync(meta) ? readJson(meta).vocabSize : EMBEDDED_FALLBACK.vocab_size;
  const num = (key: string): number => {
    const v = model[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${file}: model.${key} must be a positive integer`);
    return v;
  };
  return {
    config: { ...EMBEDDED_FALLBACK, n_layer: num('n_layer'), n_embd: num('n_embd'), n_head: num('n_head'), n_positions: num('n_positions'), vocab_size: vocab as number },
    from: 'training/configs/embedded.json',
  };
}

/**
 * The code the benchmarks prompt with (completion latency spots, throughput prompts, the fallback
 * tokenizer): bench/fixtures/code-sample.txt, this repository's src/ TypeScript (sorted, first 200 KB)
 * frozen at commit 9818714. Frozen, so that runs of different commits prompt with the same text: cut
 * from the live src/, the text under each latency spot changed with every commit, and with it whether
 * the model's suggestion started with the character typed ("one more character" swung between a
 * replay and 16 decode steps). The model never trained on it (not in the corpus).
 */
export function codeText(root = ROOT, chars = 200_000): string {
  const text = fs.readFileSync(path.join(root, 'bench', 'fixtures', 'code-sample.txt'), 'utf8');
  return text.slice(0, chars);
}

/** The corpus tokenizer when present and no larger than the model's vocabulary, else a small BPE trained on our code. */
function tokenizerFor(vocab: number, log: (line: string) => void): { dir: string; note: string } {
  const corpus = path.join(ROOT, 'data', 'corpus', 'tokenizer');
  if (fs.existsSync(path.join(corpus, 'tokenizer.json'))) {
    const size = Object.keys((readJson(path.join(corpus, 'tokenizer.json')).model as { vocab: object }).vocab).length;
    if (size <= vocab) return { dir: corpus, note: `corpus tokenizer (${size} tokens)` };
  }
  const dir = path.join(TMP, 'tokenizer-fallback-v1');
  if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) {
    log('training a fallback BPE tokenizer (data/corpus/tokenizer is missing)');
    writeTokenizerFiles(dir, trainBpe([codeText(ROOT, 100_000)], { vocabSize: Math.min(vocab, 1024) }));
  }
  return { dir, note: `fallback BPE tokenizer trained on src/ (${Math.min(vocab, 1024)} tokens; data/corpus/tokenizer missing)` };
}

function hasGraphs(dir: string): boolean {
  return [CONFIG_FILE, TOKENIZER_FILE, ONNX_FILES.fp32, ONNX_FILES.q8].every((f) => fs.existsSync(path.join(dir, f)));
}

async function randomFolder(name: string, config: GptConfig, log: (line: string) => void): Promise<{ dir: string; tokenizerNote: string }> {
  const tok = tokenizerFor(config.vocab_size, log);
  const key = createHash('sha256').update(JSON.stringify({ config, tokenizer: fs.readFileSync(path.join(tok.dir, 'tokenizer.json')).length, recipe: sourceHash(EXPORT_SOURCES) })).digest('hex').slice(0, 10);
  const dir = path.join(TMP, 'models', `${name}-${key}`);
  if (hasGraphs(dir)) return { dir, tokenizerNote: tok.note };
  log(`exporting ${name} (random weights) to ${path.relative(ROOT, dir)} (once; cached)`);
  const run = await runCell<{ ms: number }>(
    path.join(ROOT, 'bench', 'cells', 'export.ts'),
    { config, tokenizerDir: tok.dir, outDir: dir, name, card: 'Random weights (randomModel seed 0) for `npm run bench`; not a trained model.' },
    { timeoutMs: 15 * 60_000, label: `export ${name}`, log },
  );
  if (!run.ok) throw new Error(`export of ${name} failed: ${run.error}`);
  log(`exported ${name} in ${(run.result!.ms / 1000).toFixed(0)} s`);
  return { dir, tokenizerNote: tok.note };
}

export async function prepareModels(keys: readonly BenchModel['key'][], embeddedName: string, log: (line: string) => void): Promise<BenchModel[]> {
  const models: BenchModel[] = [];
  for (const key of keys) {
    if (key === 'embedded') {
      const trained = path.join(ROOT, 'models', embeddedName);
      if (hasSourceWeights(trained)) ensureModelGraphs(trained, log);
      if (hasGraphs(trained)) {
        const c = readJson(path.join(trained, 'config.json')) as unknown as GptConfig;
        models.push({ key, dir: trained, shape: c, params: parameterCount(c), source: `trained embedded model models/${embeddedName}` });
        continue;
      }
      const { config, from } = embeddedConfig();
      const { dir, tokenizerNote } = await randomFolder('embedded-random', config, log);
      models.push({
        key,
        dir,
        shape: config,
        params: parameterCount(config),
        source: `random stand-in: models/${embeddedName} does not exist; same config (${from}), ${tokenizerNote}`,
      });
    } else {
      const { dir, tokenizerNote } = await randomFolder('gpt2-small-random', GPT2_SMALL, log);
      models.push({ key, dir, shape: GPT2_SMALL, params: parameterCount(GPT2_SMALL), source: `random weights, GPT-2 small shape, ${tokenizerNote}` });
    }
  }
  return models;
}
