/**
 * Throughput cell (one process per backend x threads): the engine's own code path, in process, no
 * worker: `EngineSession` (transformers.js model + our KV cache) driven by `PrefixReusingGenerator`
 * with its default 128-token prefill chunks, exactly as the worker runs it (minus the message
 * hop). Per model and dtype: prefill time per prompt length, decode time per token right after
 * that prefill, the host-side costs (tokenizer, sampler, detokenizer), and the naive baseline:
 * the transformers.js `text-generation` pipeline called with the whole prompt.
 * Also the runtime's own MatMul throughput (one-node graphs), the reference for this backend.
 */
import * as path from 'node:path';
import * as os from 'node:os';
import { defaultSettings } from '../../src/config/settings';
import { sessionOptionsFor, startBackend, type Transformers } from '../../src/engine/backend';
import { warmUpDecoding } from '../../src/engine/decodeWarmUp';
import { PREFILL_CHUNK_TOKENS, PrefixReusingGenerator, type CausalLm } from '../../src/engine/generate';
import { inspectModelFolder } from '../../src/engine/modelFolder';
import type { GenerationOptions } from '../../src/engine/protocol';
import { createTokenSelector } from '../../src/engine/sampling';
import { EngineSession } from '../../src/engine/session';
import type { SessionKv } from '../../src/engine/transformersLm';
import { cellMain } from '../lib/child';
import { matMulGraph } from '../lib/ortMatMul';
import { rateOf, summarize } from '../lib/stats';
import type { DecodeResult, NaiveCompare, PrefillResult, RateMeasure, ThroughputCell, ThroughputGroup, ThroughputInput } from '../lib/types';

const now = () => performance.now();
const log = (line: string) => console.log(line);

/** The completion defaults (package.json) with a fixed seed, so runs are comparable. */
const { temperature, topK, topP } = defaultSettings();
const SAMPLING = { temperature, topK, topP, seed: 1 };

/** Runs `fn` up to `repeats` times while within `budgetMs` (at least once); returns its values. */
async function repeat(repeats: number, budgetMs: number, fn: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  const start = now();
  for (let r = 0; r < repeats; r++) {
    if (r > 0 && now() - start > budgetMs) break;
    samples.push(await fn());
  }
  return samples;
}

interface OrtLike {
  InferenceSession: { create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, unknown>>;
  release(): Promise<void>;
}

async function ortMatMul(input: ThroughputInput): Promise<RateMeasure[]> {
  const ort = (input.backend === 'wasm' ? (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] : await import('onnxruntime-node')) as OrtLike;
  const [M, K, N] = [256, 768, 3072];
  const x = new Float32Array(M * K).map((_, i) => ((i % 97) - 48) / 50);
  const out: RateMeasure[] = [];
  for (const int8 of [false, true]) {
    const options = input.backend === 'native' ? { intraOpNumThreads: input.threads, interOpNumThreads: 1 } : {};
    const session = await ort.InferenceSession.create(matMulGraph(M, K, N, int8), options);
    try {
      const feeds = { X: new ort.Tensor('float32', x, [M, K]) };
      await session.run(feeds); // warm-up
      const cpu: number[] = [];
      const samples = await repeat(Math.max(5, input.repeats * 4), input.budgetMs / 4, async () => {
        const c0 = process.cpuUsage();
        const t0 = now();
        await session.run(feeds);
        const dt = now() - t0;
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
        return dt;
      });
      const ms = summarize(samples);
      const cpuMs = summarize(cpu);
      const work = 2 * M * N * K;
      out.push({ label: `ORT ${input.backend} ${int8 ? 'int8 MatMulInteger' : 'fp32 MatMul'} ${M}x${K}x${N}`, threads: input.threads, work, unit: 'flop', ms, rate: rateOf(work, ms), cpuMs, cpuRate: rateOf(work, cpuMs) });
      log(`${out[out.length - 1].label}: ${(rateOf(work, ms).best / 1e9).toFixed(1)} GFLOP/s best, ${(rateOf(work, ms).median / 1e9).toFixed(1)} median`);
    } finally {
      await session.release();
    }
  }
  return out;
}

/** Prompt ids from real code, at least `n` long (the text repeats when short). */
function promptIds(session: EngineSession, text: string, n: number): number[] {
  let ids = session.encode(text);
  while (ids.length < n) ids = ids.concat(ids);
  return ids.slice(0, n);
}

async function measureModel(transformers: Transformers, input: ThroughputInput, m: ThroughputInput['models'][number]): Promise<ThroughputCell> {
  const folder = inspectModelFolder(m.dir, { quantized: m.dtype === 'int8' });
  const t0 = now();
  const session = await EngineSession.open(transformers, folder, { name: m.key, backend: input.backend, threads: input.threads });
  await session.warmUp();
  const loadMs = now() - t0;
  log(`${m.key} ${m.dtype}: loaded ${folder.onnxFile} in ${loadMs.toFixed(0)} ms`);

  // Time inside ORT's session.run and inside the lm's forward, for decode steps only.
  const ortSession = session.lmSession as unknown as { run: (feeds: unknown, fetches?: unknown) => Promise<unknown> };
  const run = ortSession.run.bind(ortSession);
  let decoding = false;
  let decodeRunMs = 0;
  let decodeForwardMs = 0;
  let decodeSteps = 0;
  let onFirstDecode = () => {};
  ortSession.run = async (feeds: unknown, fetches?: unknown) => {
    const t = now();
    const r = await run(feeds, fetches);
    if (decoding) decodeRunMs += now() - t;
    return r;
  };
  const lm: CausalLm<SessionKv> = {
    contextLength: session.lm.contextLength,
    eosTokenIds: session.lm.eosTokenIds,
    truncate: (p, l) => session.lm.truncate(p, l),
    forward: async (ids, past) => {
      decoding = ids.length === 1 && past !== null;
      if (decoding && decodeSteps === 0) onFirstDecode();
      const t = now();
      const r = await session.lm.forward(ids, past);
      if (decoding) {
        decodeForwardMs += now() - t;
        decodeSteps++;
      }
      decoding = false;
      return r;
    },
  };
  const generator = new PrefixReusingGenerator(lm, session, { prefillChunk: PREFILL_CHUNK_TOKENS, now });
  const D = input.decodeTokens;
  const options: GenerationOptions = { maxNewTokens: D, ...SAMPLING, stop: [] };

  // Warm-up: ORT's first runs allocate and plan, and the worker's load-time warm-up of the decode loop
  // (src/engine/decodeWarmUp.ts); the timed lengths below each start from an empty cache.
  await generator.generate(promptIds(session, input.promptText, 64), { ...options, maxNewTokens: 2 }, () => false);
  await warmUpDecoding(generator, (text) => session.encode(text));
  const prefill: PrefillResult[] = [];
  const decode: DecodeResult[] = [];
  for (const requested of input.prefillLengths) {
    // Room for the decoded tokens: the generator would otherwise cut the prompt's beginning.
    const n = Math.min(requested, m.shape.n_positions - D - 1);
    const ids = promptIds(session, input.promptText, n);
    const prefillMs: number[] = [];
    const perToken: number[] = [];
    const runShare: number[] = [];
    const forwardShare: number[] = [];
    const prefillCpu: number[] = [];
    const decodeCpu: number[] = [];
    const decodeSys: number[] = [];
    // Once untimed at this length, as the llama.cpp cell does: the first runs at a new size grow ORT's
    // arena and tier up the engine's JS, a one-time cost the editor pays in its first completions.
    generator.reset();
    await generator.generate(ids, options, () => false);
    await repeat(input.repeats, input.budgetMs, async () => {
      generator.reset();
      decodeRunMs = decodeForwardMs = decodeSteps = 0;
      const cpu0 = process.cpuUsage();
      let cpuAtDecode: NodeJS.CpuUsage | null = null;
      onFirstDecode = () => (cpuAtDecode = process.cpuUsage());
      const out = await generator.generate(ids, options, () => false);
      const cpu1 = process.cpuUsage();
      if (out.status !== 'done') throw new Error('generation was cancelled');
      const steps = Math.max(1, decodeSteps);
      prefillMs.push(out.timings.prefillMs);
      perToken.push(out.timings.decodeMs / steps);
      runShare.push(decodeRunMs / steps);
      forwardShare.push(decodeForwardMs / steps);
      const mid = cpuAtDecode ?? cpu1;
      prefillCpu.push((mid.user + mid.system - cpu0.user - cpu0.system) / 1000);
      decodeCpu.push((cpu1.user + cpu1.system - mid.user - mid.system) / 1000 / steps);
      decodeSys.push((cpu1.system - mid.system) / 1000 / steps);
      return out.timings.prefillMs;
    });
    const drop = <T>(xs: T[]) => xs;
    const pms = summarize(drop(prefillMs));
    prefill.push({ tokens: n, requested, ms: pms, tokensPerS: rateOf(n, pms), cpuMs: summarize(drop(prefillCpu)).median });
    const dms = summarize(drop(perToken));
    decode.push({
      context: n,
      steps: D - 1,
      msPerToken: dms,
      tokensPerS: rateOf(1, dms),
      ortRunMsPerToken: summarize(drop(runShare)).median,
      forwardMsPerToken: summarize(drop(forwardShare)).median,
      cpuMsPerToken: summarize(drop(decodeCpu)).median,
      sysMsPerToken: summarize(drop(decodeSys)).median,
    });
    log(
      `${m.key} ${m.dtype} ${input.backend} x${input.threads}: prefill ${n}: ${pms.median.toFixed(1)} ms (${(rateOf(n, pms).median).toFixed(0)} tok/s), ` +
        `decode at ${n}: ${dms.median.toFixed(2)} ms/token (ORT run ${summarize(drop(runShare)).median.toFixed(2)} ms)`,
    );
  }

  // Host-side costs: the worker encodes the whole prompt per request; per token it samples and detokenizes.
  const promptText = session.decode(promptIds(session, input.promptText, Math.min(384, m.shape.n_positions - D - 1)));
  const encodeMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = now();
    session.encode(promptText);
    encodeMs.push(now() - t);
  }
  const logitsRow = (await session.lm.forward(promptIds(session, input.promptText, 8), null)).logits;
  const sampleMs: number[] = [];
  const select = createTokenSelector(SAMPLING);
  for (let i = 0; i < 20; i++) {
    const row = Float32Array.from(logitsRow);
    const t = now();
    select(row, i);
    sampleMs.push(now() - t);
  }
  const detokMs: number[] = [];
  const some = promptIds(session, input.promptText, 4 + D);
  for (let i = 0; i < 20; i++) {
    const t = now();
    session.decode(some);
    detokMs.push(now() - t);
  }

  let naive: NaiveCompare | null = null;
  if (input.naive && m.dtype === 'int8' && input.naive.models.includes(m.key)) naive = await compareNaive(transformers, input, m, session, generator, folder.dtype);
  await session.dispose();
  return {
    model: m.key,
    dtype: m.dtype,
    backend: input.backend,
    threads: input.threads,
    onnxFile: folder.onnxFile,
    loadMs,
    prefill,
    decode,
    overheads: { encodePromptMs: summarize(encodeMs), promptChars: promptText.length, samplePerTokenMs: summarize(sampleMs), detokenizePerTokenMs: summarize(detokMs) },
    naive,
  };
}

/**
 * The same request through what a user would write without our engine: the transformers.js
 * `text-generation` pipeline with the whole prompt, greedy, `newTokens` tokens. Against our
 * engine on the same prompt, cold (empty cache) and after the prompt without its last character.
 */
async function compareNaive(
  transformers: Transformers,
  input: ThroughputInput,
  m: ThroughputInput['models'][number],
  session: EngineSession,
  generator: PrefixReusingGenerator<SessionKv>,
  dtype: 'fp32' | 'q8',
): Promise<NaiveCompare> {
  const naive = input.naive!;
  const base = session.decode(promptIds(session, input.promptText, Math.min(naive.promptTokens, m.shape.n_positions - naive.newTokens - 8)));
  const typed = base + 'x';
  const options: GenerationOptions = { maxNewTokens: naive.newTokens, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] };
  const engine = async (text: string) => {
    const t = now();
    const out = await generator.generate(session.encode(text), options, () => false);
    if (out.status !== 'done') throw new Error('generation was cancelled');
    return now() - t;
  };
  await engine(typed); // warm-up at this length
  const cold = await repeat(naive.repeats, input.budgetMs, async () => {
    generator.reset();
    return engine(typed);
  });
  const typedRuns = await repeat(naive.repeats, input.budgetMs, async () => {
    generator.reset();
    await engine(base);
    return engine(typed);
  });

  const t0 = now();
  const pipe = await transformers.pipeline('text-generation', m.dir, { local_files_only: true, dtype, ...sessionOptionsFor(input.backend, input.threads) });
  const loadMs = now() - t0;
  type Generate = (text: string, options: Record<string, unknown>) => Promise<unknown>;
  await (pipe as unknown as Generate)(typed, { max_new_tokens: 2, do_sample: false }); // warm-up
  const naiveRuns = await repeat(naive.repeats, input.budgetMs, async () => {
    const t = now();
    await (pipe as unknown as Generate)(typed, { max_new_tokens: naive.newTokens, do_sample: false, return_full_text: false });
    return now() - t;
  });
  await pipe.dispose();
  const result: NaiveCompare = {
    promptTokens: session.encode(typed).length,
    newTokens: naive.newTokens,
    naiveMs: summarize(naiveRuns),
    engineColdMs: summarize(cold),
    engineTypedMs: summarize(typedRuns),
    loadMs,
  };
  log(
    `${m.key} ${m.dtype} ${input.backend} x${input.threads}: naive pipeline ${result.naiveMs.median.toFixed(0)} ms, engine cold ${result.engineColdMs.median.toFixed(0)} ms, ` +
      `engine one more character ${result.engineTypedMs.median.toFixed(0)} ms (${result.promptTokens} prompt tokens, ${naive.newTokens} new)`,
  );
  return result;
}

cellMain<ThroughputInput, ThroughputGroup>(async (input) => {
  const started = now();
  log(`start: ${input.backend}, ${input.threads} thread(s), pid ${process.pid}, load ${os.loadavg()[0].toFixed(1)}`);
  const transformers = await startBackend(input.backend, { wasmPaths: input.wasmPaths, threads: input.threads });
  transformers.env.logLevel = 40; // errors only: ORT's warnings about unused initializers are noise here
  const ortMatMulMeasures = await ortMatMul(input);
  const cells: ThroughputCell[] = [];
  for (const m of input.models) {
    try {
      cells.push(await measureModel(transformers, input, m));
    } catch (e) {
      const error = `${path.relative(process.cwd(), m.dir)} ${m.dtype}: ${(e as Error).message}`;
      log(`error: ${error}`);
      cells.push({ model: m.key, dtype: m.dtype, backend: input.backend, threads: input.threads, onnxFile: '', loadMs: 0, prefill: [], decode: [], naive: null, error });
    }
  }
  return { backend: input.backend, threads: input.threads, ortMatMul: ortMatMulMeasures, cells, wallMs: now() - started };
});
