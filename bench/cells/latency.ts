/**
 * Latency cell (one process per backend x threads): the extension's real request path. The main
 * thread stands in for the extension host: a `WorkerClient` spawns the model worker
 * (src/engine/worker.ts through tsx, the same code esbuild bundles into dist/worker.js) and sends
 * `complete` requests; each latency is the wall time of `client.complete()` on the main thread
 * (postMessage, tokenization in the worker, prefill with prefix reuse, 16 new tokens, reply).
 * Editor-side stages (context gathering, debounce, post-processing) are not included.
 *
 * Scenarios per repeat, at a different spot of a real source file each time (names: SCENARIOS):
 *   cold                                   the prompt shares nothing with the worker's KV cache
 *   one more character, typed differs      after a completion at the spot, a character that is not the
 *                                          first one it suggested (the file's next character when it differs,
 *                                          else another): the model must run past the reused prefix
 *   one more character, typed = suggested  the character typed is the first one suggested (type-through:
 *                                          the generator replays its stored logits, src/engine/generate.ts)
 *   new line                               the previous completion accepted, then Enter
 *   prompt cached                          the same prompt again (served from the last request's stored logits)
 * Then the same scenarios at the same spots with the copy model on (src/engine/cacheMixer.ts, the
 * default `localGpt.workspace.cache`): the file is the cached document being completed, as the
 * extension syncs it (`cacheDocument`, indexed before the pass), each request names it and the cursor.
 * The main thread's event-loop delay is recorded while they run, and once idle for reference.
 * Then the editor's own request at a fresh line after a typed signature (./editorRequest.ts).
 * Then the naive baseline on the same prompts: the transformers.js `text-generation` pipeline,
 * whole prompt per request, in this process (no worker hop, which favours the baseline slightly).
 */
import * as os from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { defaultSettings } from '../../src/config/settings';
import { sessionOptionsFor, startBackend } from '../../src/engine/backend';
import type { CacheTarget, GenerationOptions } from '../../src/engine/protocol';
import { sourceWorker } from '../../src/engine/sourceWorker';
import { WorkerClient } from '../../src/engine/workerClient';
import { cellMain } from '../lib/child';
import { measureEditorRequest } from './editorRequest';
import { summarize } from '../lib/stats';
import { SCENARIOS, type LagSummary, type LatencyCell, type LatencyInput, type ScenarioResult } from '../lib/types';

const now = () => performance.now();
const log = (line: string) => console.log(line);
const mib = (bytes: number) => bytes / 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Characters before the cursor in a prompt: ~300 tokens of code, below the 384-token default budget
 * (localGpt.contextTokens), so prompt + 16 new tokens fit a 512-token window without a cut. */
const PROMPT_CHARS = 1000;

function lagOf(h: IntervalHistogram): LagSummary {
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, samples: h.count };
}

interface Sample {
  ms: number;
  promptTokens: number;
  reusedTokens: number;
  generated: number;
}

function scenario(name: string, samples: Sample[]): ScenarioResult {
  const med = (xs: number[]) => summarize(xs).median;
  return {
    name,
    ms: summarize(samples.map((s) => s.ms)),
    promptTokens: med(samples.map((s) => s.promptTokens)),
    reusedTokens: med(samples.map((s) => s.reusedTokens)),
    generatedTokens: med(samples.map((s) => s.generated)),
  };
}

/** Cursor spots: ends of lines, spread over the text, each with PROMPT_CHARS characters before it. */
function spots(text: string, count: number): number[] {
  const out: number[] = [];
  const stride = Math.floor((text.length - 3000) / Math.max(1, count));
  for (let i = 0; i < count; i++) {
    let at = 2000 + i * stride;
    while (at < text.length && text[at] !== '\n') at++;
    // the spot is just before the last character of the line: typing it is "one more character"
    out.push(at - 1);
  }
  return out;
}

cellMain<LatencyInput, LatencyCell>(async (input) => {
  const started = now();
  log(`start: ${input.backend}, ${input.threads} thread(s), pid ${process.pid}, load ${os.loadavg()[0].toFixed(1)}`);
  let peak = mib(process.memoryUsage.rss());
  const sampler = setInterval(() => (peak = Math.max(peak, mib(process.memoryUsage.rss()))), 20);
  const before = mib(process.memoryUsage.rss());
  let workerLoadMs: number | null = null;
  const client = new WorkerClient(
    {
      start: { backend: input.backend, threads: input.threads, wasmPaths: input.wasmPaths },
      load: { source: { kind: 'local', dir: input.modelDir }, quantized: input.quantized, cacheDir: os.tmpdir(), allowDownloads: false, remoteHost: 'https://huggingface.co/' },
    },
    {
      createWorker: sourceWorker(input.workerFile),
      onEvent: (e) => {
        if (e.type !== 'log') return;
        const m = /model ready in (\d+) ms/.exec(e.message);
        if (m) workerLoadMs = Number(m[1]);
        if (e.level !== 'info') log(`worker ${e.level}: ${e.message}`);
      },
    },
  );
  const t0 = now();
  const info = await client.ensureLoaded();
  const loadMs = now() - t0;
  const loaded = mib(process.memoryUsage.rss());
  log(`loaded ${info.onnxFile} on ${info.backend} in ${loadMs.toFixed(0)} ms; RSS ${before.toFixed(0)} -> ${loaded.toFixed(0)} MiB`);

  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await sleep(1000);
  idle.disable();

  // As the extension asks (src/completion/pipeline.ts), token healing included.
  const { temperature, topK, topP } = defaultSettings();
  const options: GenerationOptions = { maxNewTokens: input.newTokens, temperature, topK, topP, seed: 1, stop: [], heal: true };
  /** The document key of the file for the copy model pass (null: the copy model is off). */
  let copyModelDocument: string | null = null;
  const complete = async (prompt: string, cursorOffset = prompt.length): Promise<Sample & { text: string }> => {
    const cache: CacheTarget | undefined = copyModelDocument ? { documentKey: copyModelDocument, languageId: 'typescript', cursorOffset } : undefined;
    const t = now();
    const reply = await client.complete(prompt, cache ? { ...options, cache } : options);
    const ms = now() - t;
    if (!reply) throw new Error('a completion was cancelled');
    const generated = Math.round((reply.timings.tokensPerSecond * reply.timings.decodeMs) / 1000);
    return { ms, text: reply.text, promptTokens: reply.timings.promptTokens, reusedTokens: reply.timings.reusedTokens, generated };
  };
  // Fills the cache with something unrelated, so the next request starts cold.
  const flush = () => client.complete('\u00a7\u00a7 unrelated \u00a7\u00a7', { ...options, maxNewTokens: 1 });

  const text = input.promptText;
  /** Every scenario at each spot; the prompts are slices of the file that start at `start`, so the cursor is at `start` + their length. */
  const measureScenarios = async () => {
    const prompts: { typed: string; newline: string }[] = [];
    let fileCharDiffered = 0;
    const cold: Sample[] = [];
    const differs: Sample[] = [];
    const same: Sample[] = [];
    const newline: Sample[] = [];
    const cached: Sample[] = [];
    for (const spot of spots(text, input.repeats)) {
      const start = Math.max(0, spot - PROMPT_CHARS);
      const at = (prompt: string) => complete(prompt, Math.min(text.length, start + prompt.length));
      const before = text.slice(start, spot);
      await flush();
      cold.push(await at(text.slice(start, spot + 1)));
      await flush();
      const suggestion = await at(before);
      const first = [...suggestion.text][0];
      // A character the model did not suggest: the file's own when it differs, else one that does.
      const other = text[spot] !== first ? text[spot] : [' ', ';', 'x'].find((c) => c !== first)!;
      if (other === text[spot]) fileCharDiffered++;
      const d = await at(before + other);
      differs.push(d);
      const nl = before + other + d.text + '\n';
      newline.push(await at(nl));
      cached.push(await at(nl));
      prompts.push({ typed: before + other, newline: nl });
      if (first) {
        await at(before); // the suggestion is the last request again
        same.push(await at(before + first));
      }
    }
    const scenarios = [scenario(SCENARIOS.cold, cold), scenario(SCENARIOS.typedDiffers, differs), scenario(SCENARIOS.newLine, newline), scenario(SCENARIOS.cached, cached)];
    if (same.length > 0) scenarios.push(scenario(SCENARIOS.typedSuggested, same));
    return { scenarios, prompts, fileCharDiffered };
  };
  const busy = monitorEventLoopDelay({ resolution: 1 });
  busy.enable();
  const { scenarios, prompts, fileCharDiffered } = await measureScenarios();
  busy.disable();
  log(`typed differs: the file's next character differed from the suggestion at ${fileCharDiffered} of ${prompts.length} spots (elsewhere another character was typed)`);
  for (const s of scenarios) log(`${s.name}: p50 ${s.ms.median.toFixed(1)} ms, p95 ${s.ms.p95.toFixed(1)} ms (prompt ${s.promptTokens} tokens, reused ${s.reusedTokens}, ${s.generatedTokens} new)`);

  // The copy model pass: the file registered and indexed first (the extension indexes off the typing path).
  copyModelDocument = 'bench:file';
  client.post({ type: 'cacheDocument', key: copyModelDocument, languageId: 'typescript', version: 1, text });
  await complete(text.slice(0, PROMPT_CHARS));
  const copyModel = (await measureScenarios()).scenarios;
  copyModelDocument = null;
  for (const s of copyModel) log(`copy model on, ${s.name}: p50 ${s.ms.median.toFixed(1)} ms, p95 ${s.ms.p95.toFixed(1)} ms`);
  await client.dispose();
  const editor = [await measureEditorRequest(input, log)];
  for (const s of editor) log(`${s.name}: p50 ${s.ms.median.toFixed(1)} ms, p95 ${s.ms.p95.toFixed(1)} ms (prompt ${s.promptTokens} tokens, reused ${s.reusedTokens}, ${s.generatedTokens} new)`);
  clearInterval(sampler);
  const rssMiB = { before, loaded, peak };

  const naive: ScenarioResult[] = [];
  if (input.naive) {
    // This process never imported transformers.js: choose its runtime like the worker does.
    const transformers = await startBackend(input.backend, { wasmPaths: input.wasmPaths, threads: input.threads });
    transformers.env.logLevel = 40;
    const pipe = await transformers.pipeline('text-generation', input.modelDir, {
      local_files_only: true,
      dtype: input.quantized ? 'q8' : 'fp32',
      ...sessionOptionsFor(input.backend, input.threads),
    });
    type Generate = (text: string, options: Record<string, unknown>) => Promise<unknown>;
    const run = async (prompt: string): Promise<Sample> => {
      const t = now();
      await (pipe as unknown as Generate)(prompt, { max_new_tokens: input.newTokens, do_sample: false, return_full_text: false });
      return { ms: now() - t, promptTokens: 0, reusedTokens: 0, generated: input.newTokens };
    };
    await run(prompts[0].typed); // warm-up
    const naiveTyped: Sample[] = [];
    const naiveNewline: Sample[] = [];
    for (const p of prompts) {
      naiveTyped.push(await run(p.typed));
      naiveNewline.push(await run(p.newline));
    }
    await pipe.dispose();
    naive.push(scenario(SCENARIOS.typedDiffers, naiveTyped), scenario(SCENARIOS.newLine, naiveNewline));
    for (const s of naive) log(`naive pipeline, ${s.name}: p50 ${s.ms.median.toFixed(1)} ms, p95 ${s.ms.p95.toFixed(1)} ms`);
  }

  return {
    backend: input.backend,
    threads: input.threads,
    dtype: input.quantized ? 'int8' : 'fp32',
    model: 'embedded',
    loadMs,
    workerLoadMs,
    rssMiB,
    eventLoopLagMs: { idle: lagOf(idle), busy: lagOf(busy) },
    scenarios,
    copyModel,
    editor,
    naive,
    wallMs: now() - started,
  };
});

