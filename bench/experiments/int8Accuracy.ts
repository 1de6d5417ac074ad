/**
 * One-off experiment (not part of `npm run bench`): what the int8 graph costs a model, per way of quantizing.
 *
 *   npx tsx bench/experiments/int8Accuracy.ts [--model DIR] [--docs DIR] [--out FILE.json]
 *
 * Builds the fp32 graph and int8 graphs (8-bit and 7-bit weights with one activation scale per run, as
 * ORT's quantize_dynamic writes; 7-bit with one scale per token, the export default) from the model
 * folder's model.safetensors (default: the embedded model) and reports for each:
 *   - accuracy on 256-token windows of held-out text (default: this repository's src/, which no
 *     training run saw): mean next-token loss and top-1 agreement with fp32;
 *   - split dependence: the largest change of the last logits when one 200-token prompt runs in pieces
 *     (KV cache reused) instead of one run, as the editor's keystroke-by-keystroke prefill does;
 *   - speed, 1 thread, the engine's session options, graphs interleaved: a decode step at context 256
 *     and a 256-token prefill (first quartile of 60 rounds, so a busy machine's noise mostly drops out).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { sessionOptionsFor } from '../../src/engine/backend';
import { configFromJson, type GptConfig } from '../../src/model/config';
import { buildGptGraph } from '../../src/model/export/gptGraph';
import { gptFeeds } from '../../src/model/gptFeeds';
import { BpeTokenizer } from '../../src/model/tokenizer';
import { readTokenizerModel } from '../../src/model/tokenizer/hfFiles';
import { readWeights } from '../../src/model/weights';

const ROOT = path.resolve(__dirname, '..', '..');
const T = 256;
const SPLITS = [[100, 100], [150, 1, 1, 1, 47], [37, 63, 99, 1], [199, 1]];

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
    .sort();
}

function logSumExp(x: Float32Array, at: number, n: number): number {
  let m = -Infinity;
  for (let v = 0; v < n; v++) m = Math.max(m, x[at + v]);
  let s = 0;
  for (let v = 0; v < n; v++) s += Math.exp(x[at + v] - m);
  return m + Math.log(s);
}

function argmaxAt(x: Float32Array, at: number, n: number): number {
  let best = 0;
  for (let v = 1; v < n; v++) if (x[at + v] > x[at + best]) best = v;
  return best;
}

const tensor = (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]) => new ort.Tensor(type, data, dims);

/** Runs `ids` in runs of the given sizes, each reusing the previous run's KV cache; the last run's outputs. */
async function runInPieces(session: ort.InferenceSession, config: GptConfig, ids: number[], pieces: number[], logitsToKeep = 1): Promise<ort.InferenceSession.OnnxValueMapType> {
  let past: Record<string, ort.Tensor> = {};
  let done = 0;
  let out!: ort.InferenceSession.OnnxValueMapType;
  for (const n of pieces) {
    const feeds = gptFeeds(tensor, config, ids.slice(done, done + n), { pastLength: done, past, logitsToKeep }) as Record<string, ort.Tensor>;
    out = await session.run(feeds);
    past = out as Record<string, ort.Tensor>;
    done += n;
  }
  return out;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

async function main(): Promise<void> {
  const opts = new Command()
    .option('--model <dir>', 'model folder with config.json, tokenizer.json and model.safetensors', path.join(ROOT, 'models', 'localgpt-code-small'))
    .option('--docs <dir>', 'held-out TypeScript to score on', path.join(ROOT, 'src'))
    .option('--out <file>', 'write the results as JSON')
    .parse()
    .opts<{ model: string; docs: string; out?: string }>();
  const config = configFromJson(JSON.parse(fs.readFileSync(path.join(opts.model, 'config.json'), 'utf8')));
  const weights = readWeights(path.join(opts.model, 'model.safetensors'), config);
  const tok = new BpeTokenizer(readTokenizerModel(path.join(opts.model, 'tokenizer.json')));
  const windows = sourceFiles(opts.docs)
    .map((f) => tok.encode(fs.readFileSync(f, 'utf8')))
    .filter((ids) => ids.length > T)
    .map((ids) => ids.slice(0, T + 1));
  const graphs: { name: string; bytes: Uint8Array }[] = [
    { name: 'fp32', bytes: buildGptGraph(config, weights) },
    { name: 'int8, 8-bit weights, scale per run', bytes: buildGptGraph(config, weights, { quantize: true, weightLevels: 127, activationScale: 'tensor' }) },
    { name: 'int8, 7-bit weights, scale per run', bytes: buildGptGraph(config, weights, { quantize: true, weightLevels: 63, activationScale: 'tensor' }) },
    { name: 'int8, 7-bit weights, scale per token (export default)', bytes: buildGptGraph(config, weights, { quantize: true }) },
  ];
  const options = sessionOptionsFor('native', 1) as ort.InferenceSession.SessionOptions;
  const sessions = await Promise.all(graphs.map((g) => ort.InferenceSession.create(g.bytes, options)));
  const V = config.vocab_size;
  const positions = windows.length * T;

  const logits: Float32Array[][] = [];
  for (const session of sessions) {
    const rows: Float32Array[] = [];
    for (const ids of windows) rows.push((await runInPieces(session, config, ids, [T], 0)).logits.data as Float32Array);
    logits.push(rows);
  }

  const prompt = windows[0].slice(0, 200);
  const timing = graphs.map(() => ({ decode: [] as number[], prefill: [] as number[] }));
  const D = config.n_embd / config.n_head;
  const past: Record<string, ort.Tensor> = {};
  for (let l = 0; l < config.n_layer; l++) for (const kv of ['key', 'value']) past[`present.${l}.${kv}`] = tensor('float32', new Float32Array(config.n_head * T * D), [1, config.n_head, T, D]);
  for (let round = 0; round < 60; round++) {
    for (let g = 0; g < sessions.length; g++) {
      const step = gptFeeds(tensor, config, [prompt[round % prompt.length]], { pastLength: T, past, logitsToKeep: 1 }) as Record<string, ort.Tensor>;
      let t = performance.now();
      for (let i = 0; i < 10; i++) await sessions[g].run(step);
      timing[g].decode.push((performance.now() - t) / 10);
      t = performance.now();
      await runInPieces(sessions[g], config, windows[round % windows.length], [T]);
      timing[g].prefill.push(performance.now() - t);
    }
  }

  const results = [];
  for (let g = 0; g < graphs.length; g++) {
    let nll = 0;
    let agree = 0;
    windows.forEach((ids, w) => {
      for (let t = 0; t < T; t++) {
        nll += logSumExp(logits[g][w], t * V, V) - logits[g][w][t * V + ids[t + 1]];
        agree += Number(argmaxAt(logits[g][w], t * V, V) === argmaxAt(logits[0][w], t * V, V));
      }
    });
    const whole = (await runInPieces(sessions[g], config, prompt, [prompt.length])).logits.data as Float32Array;
    let splitDiff = 0;
    for (const pieces of SPLITS) {
      const last = (await runInPieces(sessions[g], config, prompt, pieces)).logits.data as Float32Array;
      for (let v = 0; v < V; v++) splitDiff = Math.max(splitDiff, Math.abs(last[v] - whole[v]));
    }
    results.push({
      graph: graphs[g].name,
      lossNatsPerToken: nll / positions,
      top1AgreementWithFp32: agree / positions,
      splitMaxAbsLogitDiff: splitDiff,
      decodeMsPerToken: quantile(timing[g].decode, 0.25),
      prefill256Ms: quantile(timing[g].prefill, 0.25),
    });
  }
  const machine = { cpu: os.cpus()[0]?.model ?? '?', cpus: os.cpus().length, loadAverage: os.loadavg()[0] };
  console.log(`${path.basename(opts.model)}: ${windows.length} windows of ${T} tokens (${positions} positions) from ${path.relative(ROOT, opts.docs) || '.'}; splits of a ${prompt.length}-token prompt: ${SPLITS.map((s) => s.join('+')).join(', ')}; ${machine.cpu}, load ${machine.loadAverage.toFixed(1)}`);
  console.log('| graph | loss (nats/token) | top-1 = fp32 | split: max logit change | decode @256 (ms/token) | prefill 256 (ms) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.graph} | ${r.lossNatsPerToken.toFixed(4)} | ${(100 * r.top1AgreementWithFp32).toFixed(2)}% | ${r.splitMaxAbsLogitDiff.toExponential(2)} | ${r.decodeMsPerToken.toFixed(3)} | ${r.prefill256Ms.toFixed(2)} |`);
  }
  if (opts.out) fs.writeFileSync(opts.out, `${JSON.stringify({ model: opts.model, date: new Date().toISOString(), machine, windows: windows.length, tokensPerWindow: T, splits: SPLITS, results }, null, 2)}\n`);
}

main().catch((e: unknown) => {
  console.error(`int8Accuracy: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
