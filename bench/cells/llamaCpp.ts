/**
 * llama.cpp peer cell (one process per thread count): the same weights as the throughput cells,
 * exported to GGUF by src/model/export/gguf.ts (int8 -> q8_0, fp32 -> f32), run by llama.cpp
 * through node-llama-cpp as shipped (its prebuilt CPU binary, default context options: f16 KV
 * cache, its own batching), greedy. The prompts are the throughput cells' token ids (the model's
 * tokenizer through transformers.js on bench/fixtures/code-sample.txt), so both sides run the same
 * tokens. Per prompt length: prefill from an empty sequence to the first new token, then
 * `decodeTokens - 1` decode steps, as the throughput cell times ours.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startBackend } from '../../src/engine/backend';
import { exportGguf, type GgufType } from '../../src/model/export/gguf';
import { sourceHash } from '../../scripts/lib/sourceHash';
import { cellMain } from '../lib/child';
import { loadLlamaCpp, type NodeLlamaCpp } from '../lib/llamaCpp';
import { TMP } from '../lib/models';
import { rateOf, summarize } from '../lib/stats';
import type { LlamaCppCell, LlamaCppGroup, LlamaCppInput } from '../lib/types';

const now = () => performance.now();
const log = (line: string) => console.log(line);
const GGUF_TYPE: Record<LlamaCppCell['dtype'], GgufType> = { int8: 'q8_0', fp32: 'f32' };

/** The GGUF of a model folder, exported once into bench/tmp/gguf/ (keyed by the weights file and the exporter's source). */
function ggufFor(dir: string, key: string, type: GgufType): { file: string; exportMs: number | null } {
  const weights = fs.statSync(path.join(dir, 'model.safetensors'));
  const tag = sourceHash(['src/model/export/gguf.ts', 'src/model/export/ggufWriter.ts']).slice(0, 8);
  const file = path.join(TMP, 'gguf', `${key}-${weights.size}-${Math.round(weights.mtimeMs)}-${tag}-${type}.gguf`);
  if (fs.existsSync(file)) return { file, exportMs: null };
  const t = now();
  // A per-process temporary name: two bench runs may export the same model at once.
  const part = `${file}.${process.pid}.part`;
  exportGguf(dir, part, type, key);
  fs.renameSync(part, file);
  return { file, exportMs: now() - t };
}

async function repeat(repeats: number, budgetMs: number, fn: () => Promise<void>): Promise<void> {
  const start = now();
  for (let r = 0; r < repeats; r++) {
    if (r > 0 && now() - start > budgetMs) break;
    await fn();
  }
}

async function measure(llama: NodeLlamaCpp.Llama, encode: (dir: string, text: string) => Promise<number[]>, input: LlamaCppInput, m: LlamaCppInput['models'][number]): Promise<LlamaCppCell> {
  const type = GGUF_TYPE[m.dtype];
  const { file, exportMs } = ggufFor(m.dir, m.key, type);
  const t0 = now();
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: m.shape.n_positions, threads: input.threads, batchSize: 512 });
  const loadMs = now() - t0;
  log(`${m.key} ${type} x${input.threads}: loaded ${path.basename(file)} in ${loadMs.toFixed(0)} ms${exportMs === null ? '' : ` (exported in ${exportMs.toFixed(0)} ms)`}`);
  const sequence = context.getSequence();
  let text = await encode(m.dir, input.promptText);
  const D = input.decodeTokens;

  /** Prefill `ids` from an empty sequence to the first new token, then D - 1 decode steps; ms and CPU ms of each part. */
  const run = async (ids: number[]) => {
    await sequence.clearHistory();
    const c0 = process.cpuUsage();
    const t = now();
    const tokens = sequence.evaluate(ids as NodeLlamaCpp.Token[], { temperature: 0 })[Symbol.asyncIterator]();
    const first = await tokens.next();
    if (first.done) throw new Error('llama.cpp generated nothing');
    const prefillMs = now() - t;
    const c1 = process.cpuUsage();
    const t1 = now();
    for (let k = 1; k < D; k++) if ((await tokens.next()).done) throw new Error(`llama.cpp stopped after ${k} tokens`);
    const decodeMs = now() - t1;
    const c2 = process.cpuUsage();
    await tokens.return(undefined);
    const cpu = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user + b.system - a.user - a.system) / 1000;
    return { prefillMs, decodeMs, prefillCpuMs: cpu(c0, c1), decodeCpuMs: cpu(c1, c2) };
  };
  const promptIds = (n: number) => {
    while (text.length < n) text = text.concat(text);
    return text.slice(0, n);
  };

  try {
    await run(promptIds(64)); // warm-up: first-run allocations
    const prefill: LlamaCppCell['prefill'] = [];
    const decode: LlamaCppCell['decode'] = [];
    for (const requested of input.prefillLengths) {
      const n = Math.min(requested, m.shape.n_positions - D - 1);
      const ids = promptIds(n);
      const runs: Awaited<ReturnType<typeof run>>[] = [];
      await run(ids); // once untimed at this length, as the throughput cell does
      await repeat(input.repeats, input.budgetMs, async () => void runs.push(await run(ids)));
      const pms = summarize(runs.map((r) => r.prefillMs));
      const dms = summarize(runs.map((r) => r.decodeMs / (D - 1)));
      prefill.push({ tokens: n, requested, ms: pms, tokensPerS: rateOf(n, pms), cpuMs: summarize(runs.map((r) => r.prefillCpuMs)).median });
      decode.push({ context: n, steps: D - 1, msPerToken: dms, tokensPerS: rateOf(1, dms), cpuMsPerToken: summarize(runs.map((r) => r.decodeCpuMs / (D - 1))).median });
      log(`${m.key} ${type} x${input.threads}: prefill ${n}: ${pms.median.toFixed(1)} ms (${rateOf(n, pms).median.toFixed(0)} tok/s), decode at ${n}: ${dms.median.toFixed(2)} ms/token`);
    }
    return { model: m.key, dtype: m.dtype, ggufType: type, threads: input.threads, ggufFile: path.relative(process.cwd(), file), ggufBytes: fs.statSync(file).size, loadMs, prefill, decode };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

cellMain<LlamaCppInput, LlamaCppGroup>(async (input) => {
  const started = now();
  log(`start: llama.cpp, ${input.threads} thread(s), pid ${process.pid}, load ${os.loadavg()[0].toFixed(1)}`);
  const { llama } = await loadLlamaCpp();
  // The model's own tokenizer, as the throughput cells encode (transformers.js).
  const transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
  const tokenizers = new Map<string, (text: string) => number[]>();
  const encode = async (dir: string, text: string) => {
    if (!tokenizers.has(dir)) {
      const t = await transformers.AutoTokenizer.from_pretrained(dir, { local_files_only: true });
      tokenizers.set(dir, (s) => t.encode(s));
    }
    return tokenizers.get(dir)!(text);
  };
  const cells: LlamaCppCell[] = [];
  for (const m of input.models) {
    try {
      cells.push(await measure(llama, encode, input, m));
    } catch (e) {
      const error = `${m.key} ${m.dtype}: ${(e as Error).message}`;
      log(`error: ${error}`);
      cells.push({ model: m.key, dtype: m.dtype, ggufType: GGUF_TYPE[m.dtype], threads: input.threads, ggufFile: '', ggufBytes: 0, loadMs: 0, prefill: [], decode: [], error });
    }
  }
  return { threads: input.threads, version: llama.llamaCppRelease.release, buildType: llama.buildType, cells, wallMs: now() - started };
});
