/**
 * Measures an exported folder on ONNX Runtime node and web (WASM): prefill time with and without
 * attention outputs, one-token decode time, int8 vs fp32 agreement. `training/export.ts --measure`
 * prints the table that docs/MODEL.md quotes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { GptConfig } from '../config';
import { gptFeeds } from '../gptFeeds';
import { argmax } from '../gpt';
import { ATTENTION_OUTPUT_PREFIX, withAttentionOutputs } from '../attentionGraph';
import { ONNX_FILES } from '../folderLayout';

type Ort = typeof ortNode | typeof ortWeb;
type Session = ortNode.InferenceSession;
type Feeds = Record<string, ortNode.Tensor>;

interface MeasureOptions {
  /** Prompt lengths to prefill (tokens). */
  lengths?: number[];
  /** Timed runs per measurement, after one warm-up run. */
  repeats?: number;
  /** WASM threads (ONNX Runtime web); ORT node uses its default intra-op threads unless `nodeThreads`. */
  wasmThreads?: number;
  nodeThreads?: number;
  /** Also measure ONNX Runtime web (default true; a large model on WASM takes long). */
  wasm?: boolean;
  log?: (line: string) => void;
}

interface Timing {
  runtime: string;
  file: string;
  tokens: number;
  /** Fastest of the timed prefills of `tokens` tokens (least disturbed by other processes), ms. */
  prefillMs: number;
  prefillMedianMs: number;
  /** Fastest process CPU time (user + system) of a prefill: with one thread, the work itself, little
   *  affected by other processes on a busy machine (wall time is). */
  prefillCpuMs: number;
  /** Fastest one-token step after that prefill (KV cache), ms. */
  decodeMs: number;
}

export interface Measurements {
  timings: Timing[];
  /** Over the longest prefill: positions where int8 and fp32 agree on the top token. */
  q8Top1Agreement: number;
  q8MaxAbsDiff: number;
  fp32MaxAbsLogit: number;
  /** Greedy decoding of `greedy.tokens` tokens from the same prompt with both graphs (ORT node). */
  greedy: { tokens: number; samePrefix: number; samePositions: number };
}

function feedsFor(ort: Ort, config: GptConfig, tokens: number[], pastLength: number, past?: Record<string, ortNode.Tensor>): Feeds {
  // The engine asks for the last position's logits only; so do these timings.
  return gptFeeds((type, data, dims) => new ort.Tensor(type, data, dims) as ortNode.Tensor, config, tokens, { pastLength, past, logitsToKeep: 1 });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function measureFolder(dir: string, config: GptConfig, opts: MeasureOptions = {}): Promise<Measurements> {
  const { repeats = 5, wasmThreads = 1, log = () => {} } = opts;
  const lengths = (opts.lengths ?? [256, 512]).filter((n) => n < config.n_positions);
  ortWeb.env.wasm.wasmPaths = pathToFileURL(path.resolve(require.resolve('onnxruntime-web'), '..') + '/').href;
  ortWeb.env.wasm.numThreads = wasmThreads;
  const runtimes: [string, Ort][] = [['onnxruntime-node', ortNode]];
  if (opts.wasm !== false) runtimes.push([`onnxruntime-web wasm (${wasmThreads} thread${wasmThreads > 1 ? 's' : ''})`, ortWeb]);
  const tokensOf = (n: number): number[] => Array.from({ length: n }, (_, i) => (i * 7919 + 11) % config.vocab_size);
  const timings: Timing[] = [];
  const lastLogits: Record<string, Float32Array> = {};
  const fp32File = path.join(dir, ONNX_FILES.fp32);
  const attentionsLabel = `${ONNX_FILES.fp32} + ${ATTENTION_OUTPUT_PREFIX}* outputs`;
  const files = [ONNX_FILES.fp32, attentionsLabel, ONNX_FILES.q8];
  const graphOf = (file: string): Uint8Array =>
    file === attentionsLabel ? withAttentionOutputs(fs.readFileSync(fp32File), fp32File).bytes : fs.readFileSync(path.join(dir, file));
  for (const [runtime, ort] of runtimes) {
    const options = ort === ortNode && opts.nodeThreads ? { intraOpNumThreads: opts.nodeThreads } : {};
    const sessions: Session[] = [];
    for (const file of files) sessions.push((await ort.InferenceSession.create(graphOf(file), options)) as Session);
    try {
      for (const n of lengths) {
        const tokens = tokensOf(n);
        const prefillFeeds = feedsFor(ort, config, tokens, 0);
        // Rounds of (fp32, attentions, int8), so a busy machine slows all three alike; the first round warms up.
        const prefill: number[][] = files.map(() => []);
        const prefillCpu: number[][] = files.map(() => []);
        const decode: number[][] = files.map(() => []);
        for (let round = 0; round <= repeats; round++) {
          for (let f = 0; f < files.length; f++) {
            let t0 = performance.now();
            const cpu0 = process.cpuUsage();
            const out = await sessions[f].run(prefillFeeds);
            const cpu = process.cpuUsage(cpu0);
            if (round > 0) prefill[f].push(performance.now() - t0);
            if (round > 0) prefillCpu[f].push((cpu.user + cpu.system) / 1000);
            const stepFeeds = feedsFor(ort, config, [tokens[0]], n, out);
            t0 = performance.now();
            await sessions[f].run(stepFeeds);
            if (round > 0) decode[f].push(performance.now() - t0);
            if (ort === ortNode) lastLogits[files[f]] = out.logits.data as Float32Array;
          }
        }
        files.forEach((file, f) => {
          const t: Timing = { runtime, file, tokens: n, prefillMs: Math.min(...prefill[f]), prefillMedianMs: median(prefill[f]), prefillCpuMs: Math.min(...prefillCpu[f]), decodeMs: Math.min(...decode[f]) };
          timings.push(t);
          log(`${runtime}  ${file}  prefill ${n}: ${t.prefillMs.toFixed(1)} ms (median ${t.prefillMedianMs.toFixed(1)}, CPU ${t.prefillCpuMs.toFixed(1)}), next token: ${t.decodeMs.toFixed(1)} ms`);
        });
      }
    } finally {
      for (const s of sessions) await s.release();
    }
  }
  const fp32 = lastLogits[ONNX_FILES.fp32];
  const q8 = lastLogits[ONNX_FILES.q8];
  const V = config.vocab_size;
  let agree = 0;
  let maxDiff = 0;
  let maxLogit = 0;
  const T = fp32.length / V;
  for (let t = 0; t < T; t++) agree += Number(argmax(fp32, t * V, V) === argmax(q8, t * V, V));
  for (let i = 0; i < fp32.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(fp32[i] - q8[i]));
    maxLogit = Math.max(maxLogit, Math.abs(fp32[i]));
  }
  const prompt = tokensOf(Math.min(32, config.n_positions - 33));
  const a = await greedyNode(path.join(dir, ONNX_FILES.fp32), config, prompt, 32);
  const b = await greedyNode(path.join(dir, ONNX_FILES.q8), config, prompt, 32);
  const firstDiff = a.findIndex((x, i) => x !== b[i]);
  const greedy = { tokens: a.length, samePrefix: firstDiff < 0 ? a.length : firstDiff, samePositions: a.filter((x, i) => x === b[i]).length };
  log(`int8 vs fp32: top-1 agreement ${(agree / T * 100).toFixed(1)}% over ${T} positions, greedy ${greedy.samePrefix}/${greedy.tokens} tokens identical before the first difference`);
  return { timings, q8Top1Agreement: agree / T, q8MaxAbsDiff: maxDiff, fp32MaxAbsLogit: maxLogit, greedy };
}

/** Greedy decoding with the KV cache on ORT node, no eos stop: the new tokens. */
async function greedyNode(file: string, config: GptConfig, prompt: number[], n: number): Promise<number[]> {
  const session = await ortNode.InferenceSession.create(file);
  try {
    const V = config.vocab_size;
    let out = await session.run(feedsFor(ortNode, config, prompt, 0));
    const tokens: number[] = [];
    let length = prompt.length;
    while (tokens.length < n) {
      const logits = out.logits.data as Float32Array;
      tokens.push(argmax(logits, logits.length - V, V));
      out = await session.run(feedsFor(ortNode, config, [tokens[tokens.length - 1]], length, out));
      length++;
    }
    return tokens;
  } finally {
    await session.release();
  }
}
