/**
 * `npm run complete -- FILE:LINE:COL [--model DIR|ID] [--backend auto|native|wasm] [...]`
 *
 * Headless inline completion: the same model worker and completion pipeline as the extension
 * (context -> prompt -> worker -> post-processing), at a position of a file (LINE and COL 1-based).
 * Prints the completion and its timings. `--measure` also times the editor's typical requests:
 * cold start, the same spot again, one more character typed (prefix reuse), and a new line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { normalizeSettings, type Settings } from '../src/config/settings';
import type { CancellationLike } from '../src/completion/debounce';
import { CompletionPipeline, type CompletionRequest, type CompletionResult } from '../src/completion/pipeline';
import { resolveModelSetting } from '../src/engine/modelSource';
import { ensureModelGraphs, hasSourceWeights } from './lib/modelGraphs';
import { bundledWorker, sourceWorker, WorkerClient, type EngineConfig } from '../src/extension/workerClient';
import manifest from '../package.json';

const ROOT = path.resolve(__dirname, '..');

const LANGUAGES: Record<string, string> = {
  '.ts': 'typescript', '.tsx': 'typescriptreact', '.js': 'javascript', '.jsx': 'javascriptreact', '.mjs': 'javascript', '.cjs': 'javascript',
  '.py': 'python', '.json': 'json', '.css': 'css', '.html': 'html', '.md': 'markdown', '.sh': 'shellscript', '.go': 'go', '.rs': 'rust',
};

const never: CancellationLike = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };

function parsePosition(spec: string): { file: string; line: number; column: number } {
  const m = /^(.*):(\d+):(\d+)$/.exec(spec);
  if (!m) throw new InvalidArgumentError(`expected FILE:LINE:COL (1-based), got ${JSON.stringify(spec)}`);
  return { file: path.resolve(m[1]), line: Number(m[2]), column: Number(m[3]) };
}

function offsetOf(text: string, line: number, column: number, file: string): number {
  const lines = text.split('\n');
  if (line < 1 || line > lines.length) throw new Error(`${file}: line ${line} is outside 1..${lines.length}`);
  const lineText = lines[line - 1].replace(/\r$/, '');
  if (column < 1 || column > lineText.length + 1) throw new Error(`${file}:${line}: column ${column} is outside 1..${lineText.length + 1}`);
  return lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

function describe(label: string, r: CompletionResult | null): void {
  if (!r) {
    console.log(`${label}: (no suggestion)`);
    return;
  }
  const t = r.timings;
  console.log(
    `${label}: ${ms(r.latencyMs)} ${r.source === 'cache' ? '(cache)' : ''}` +
      (t ? ` | prompt ${t.promptTokens} tokens, reused ${t.reusedTokens}, prefill ${ms(t.prefillMs)}, decode ${ms(t.decodeMs)}, ${t.tokensPerSecond.toFixed(0)} tokens/s, stop: ${r.stopReason}` : ''),
  );
}

async function main(): Promise<void> {
  const program = new Command()
    .name('complete')
    .description('Complete code at FILE:LINE:COL with the Local GPT model worker, headless')
    .argument('<position>', 'FILE:LINE:COL (1-based)', parsePosition)
    .option('--model <dir|id>', 'model folder (absolute or relative to the current folder) or Hugging Face id; default: the embedded model')
    .option('--backend <name>', 'auto | native | wasm', 'auto')
    .option('--threads <n>', 'inference threads (0 = half the cores)', (v) => parseInt(v, 10), 0)
    .option('--fp32', 'use onnx/model.onnx instead of the quantized graph', false)
    .option('--max-tokens <n>', 'maximum new tokens', (v) => parseInt(v, 10))
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', parseFloat)
    .option('--seed <n>', 'sampling seed', (v) => parseInt(v, 10))
    .option('--multiline <mode>', 'auto | always | never')
    .option('--allow-downloads', 'allow downloading a Hugging Face id', false)
    .option('--cache-dir <dir>', 'where downloaded models go', path.join(ROOT, '.cache', 'models'))
    .option('--bundle', 'run dist/worker.js (npm run build) instead of the TypeScript source', false)
    .option('--measure', 'also time: same spot again, one more character, a new line', false)
    .option('--repeat <n>', 'with --measure, run each case n times and report the fastest and the median', (v) => parseInt(v, 10), 1)
    .parse();
  const [position] = program.processedArgs as [ReturnType<typeof parsePosition>];
  const o = program.opts<{
    model?: string; backend: string; threads: number; fp32: boolean; maxTokens?: number; temperature?: number; seed?: number;
    multiline?: string; allowDownloads: boolean; cacheDir: string; bundle: boolean; measure: boolean; repeat: number;
  }>();

  const { settings, warnings } = normalizeSettings({
    backend: o.backend,
    threads: o.threads,
    quantized: !o.fp32,
    maxNewTokens: o.maxTokens,
    temperature: o.temperature ?? 0,
    seed: o.seed ?? 0,
    multiline: o.multiline,
    debounceMs: 0,
    allowDownloads: o.allowDownloads,
  });
  for (const w of warnings) console.warn(`warning: ${w.replace(/^localGpt\./, '--')}`);

  const modelSetting = o.model && !path.isAbsolute(o.model) && fs.existsSync(o.model) ? path.resolve(o.model) : o.model ?? '';
  const resolved = resolveModelSetting(modelSetting, ROOT, manifest.localGpt.embeddedModel);
  if (!resolved.ok) throw new Error(resolved.error);
  if (resolved.source.kind !== 'hub' && hasSourceWeights(resolved.source.dir) && path.resolve(resolved.source.dir).startsWith(path.join(ROOT, 'models') + path.sep)) {
    ensureModelGraphs(resolved.source.dir, (line) => console.error(line));
  }
  const distWasm = path.join(ROOT, 'dist', 'wasm');
  const config: EngineConfig = {
    start: { backend: settings.backend, threads: settings.threads, wasmPaths: o.bundle || fs.existsSync(distWasm) ? distWasm : path.join(ROOT, 'node_modules/onnxruntime-web/dist') },
    load: { source: resolved.source, quantized: settings.quantized, cacheDir: path.resolve(o.cacheDir), allowDownloads: settings.allowDownloads, remoteHost: settings.remoteHost },
  };
  const workerFile = o.bundle ? path.join(ROOT, 'dist', 'worker.js') : path.join(ROOT, 'src', 'engine', 'worker.ts');
  if (!fs.existsSync(workerFile)) throw new Error(`${workerFile} does not exist (run npm run build)`);
  const client = new WorkerClient(config, {
    createWorker: o.bundle ? bundledWorker(workerFile) : sourceWorker(workerFile),
    onEvent: (e) => {
      if (e.type === 'log') console.error(`[${e.level}] ${e.message}`);
    },
  });

  const text = fs.readFileSync(position.file, 'utf8');
  const ext = path.extname(position.file);
  const request = (docText: string, offset: number): CompletionRequest => ({
    text: docText,
    offset,
    languageId: LANGUAGES[ext] ?? ext.slice(1),
    relativePath: path.relative(process.cwd(), position.file).split(path.sep).join('/'),
    documentKey: position.file,
  });
  const pipelineSettings: Settings = settings;
  const pipeline = new CompletionPipeline(client, () => pipelineSettings);

  try {
    const started = performance.now();
    const info = await client.ensureLoaded();
    const loadMs = performance.now() - started;
    console.error(`model: ${info.name} (${info.modelType}, ${info.onnxFile}) on ${info.backend}; worker start + load ${ms(loadMs)}`);

    const offset = offsetOf(text, position.line, position.column, position.file);
    const first = await pipeline.complete(request(text, offset), never);
    console.log('--- completion ---');
    console.log(first ? first.text : '(no suggestion)');
    console.log('------------------');
    describe('first request (model loaded)', first);
    if (o.measure) {
      /** Runs a case `--repeat` times from the same cache state and prints the fastest and the median. */
      const timed = async (label: string, setup: () => Promise<unknown>, run: () => Promise<CompletionResult | null>) => {
        const runs: CompletionResult[] = [];
        for (let i = 0; i < Math.max(1, o.repeat); i++) {
          await setup();
          pipeline.reset();
          const r = await run();
          if (r) runs.push(r);
        }
        if (runs.length === 0) return describe(label, null);
        runs.sort((a, b) => a.latencyMs - b.latencyMs);
        describe(runs.length > 1 ? `${label} [fastest of ${runs.length}]` : label, runs[0]);
        if (runs.length > 1) console.log(`    median ${ms(runs[runs.length >> 1].latencyMs)}`);
      };
      const here = request(text, offset);
      const warm = () => pipeline.complete(here, never); // leaves the worker's cache at this spot
      await timed('same spot again', warm, () => pipeline.complete(here, never));
      const typed = first?.text ? first.text[0] : ' ';
      const oneMore = request(text.slice(0, offset) + typed + text.slice(offset), offset + 1);
      await timed(`one more character (${JSON.stringify(typed)})`, warm, () => pipeline.complete(oneMore, never));
      await pipeline.complete(oneMore, never);
      describe('typing through the suggestion (cache)', await pipeline.complete(request(text.slice(0, offset) + typed + text.slice(offset), offset + 1), never));
      const indent = /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', offset - 1) + 1, offset))?.[0] ?? '';
      const accepted = text.slice(0, offset) + (first?.text ?? '') + '\n' + indent;
      const newLine = request(accepted + text.slice(offset), accepted.length);
      const acceptedHere = request(text.slice(0, offset) + (first?.text ?? '') + text.slice(offset), offset + (first?.text.length ?? 0));
      await timed('accept, then a new line', () => pipeline.complete(acceptedHere, never), () => pipeline.complete(newLine, never));
      const other = request(text, Math.max(0, text.lastIndexOf('\n', Math.floor(text.length / 3))));
      await timed('cold prompt (nothing reusable)', () => pipeline.complete(other, never), () => pipeline.complete(here, never));
    }
  } finally {
    await client.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(`complete: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
