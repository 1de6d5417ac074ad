/**
 * One-off experiment (not part of `npm run bench`): what int8 weights cost the embedded model.
 * `npx tsx bench/experiments/int8Accuracy.ts [DOCS_DIR]` builds the fp32 graph and the int8 graph
 * with 8-bit (levels 127) and 7-bit (levels 63, the export default) weights from
 * models/localgpt-code-small/model.safetensors, runs them on 256-token windows of held-out text
 * (default: this repository's own src/ TypeScript, which no training run saw) and prints each int8
 * variant's top-1 agreement with fp32 and the mean next-token loss of every graph.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { configFromJson } from '../../src/model/config';
import { buildGptGraph } from '../../src/model/export/gptGraph';
import type { WeightLevels } from '../../src/model/export/quantize';
import { gptFeeds } from '../../src/model/gptFeeds';
import { BpeTokenizer } from '../../src/model/tokenizer';
import { readTokenizerModel } from '../../src/model/tokenizer/hfFiles';
import { readWeights } from '../../src/model/weights';

const ROOT = path.resolve(__dirname, '..', '..');
const MODEL = path.join(ROOT, 'models', 'localgpt-code-small');
const T = 256;

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

async function main(): Promise<void> {
  const config = configFromJson(JSON.parse(fs.readFileSync(path.join(MODEL, 'config.json'), 'utf8')));
  const weights = readWeights(path.join(MODEL, 'model.safetensors'), config);
  const tok = new BpeTokenizer(readTokenizerModel(path.join(MODEL, 'tokenizer.json')));
  const docs = sourceFiles(process.argv[2] ?? path.join(ROOT, 'src')).map((f) => fs.readFileSync(f, 'utf8'));
  const windows = docs.map((d) => tok.encode(d)).filter((ids) => ids.length > T).map((ids) => ids.slice(0, T + 1));

  const graphs: [string, Uint8Array][] = [
    ['fp32', buildGptGraph(config, weights)],
    ...([127, 63] as WeightLevels[]).map((levels): [string, Uint8Array] => [`int8 (levels ${levels})`, buildGptGraph(config, weights, { quantize: true, weightLevels: levels })]),
  ];
  const V = config.vocab_size;
  const logits: Float32Array[][] = [];
  for (const [, graph] of graphs) {
    const session = await ort.InferenceSession.create(graph, { intraOpNumThreads: 1 });
    const rows: Float32Array[] = [];
    for (const ids of windows) {
      const out = await session.run(gptFeeds((type, data, dims) => new ort.Tensor(type, data, dims), config, ids.slice(0, T)));
      rows.push(out.logits.data as Float32Array);
    }
    logits.push(rows);
    await session.release();
  }
  const positions = windows.length * T;
  console.log(`${windows.length} windows of ${T} tokens (${positions} positions)`);
  graphs.forEach(([name], g) => {
    let nll = 0;
    let agree = 0;
    windows.forEach((ids, w) => {
      for (let t = 0; t < T; t++) {
        nll += logSumExp(logits[g][w], t * V, V) - logits[g][w][t * V + ids[t + 1]];
        agree += Number(argmaxAt(logits[g][w], t * V, V) === argmaxAt(logits[0][w], t * V, V));
      }
    });
    console.log(`${name}: loss ${(nll / positions).toFixed(4)} nats/token, top-1 agreement with fp32 ${((100 * agree) / positions).toFixed(2)}%`);
  });
}

main();
