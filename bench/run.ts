/**
 * `npm run bench [-- --quick] [-- --only SECTION[,SECTION]] [-- --help]`
 *
 * The engine measured against the machine's own limits, in one run:
 *   roofline    OpenBLAS sgemm, memory bandwidth, sgemv, JS copy (bench/native/roofline.c)
 *   throughput  prefill and decode tokens/s per model x dtype x backend x threads, the runtimes'
 *               own MatMul rate, host-side costs, the naive transformers.js pipeline, and llama.cpp
 *               (node-llama-cpp) on the GGUF export of the same weights with the same prompts
 *   options     ONNX Runtime session-option variants on the same graphs (evidence for backend.ts changes)
 *   latency     completion scenarios through the real worker thread, event-loop lag, RSS, load time
 *   package     VSIX size, activation time
 *   workspace   indexing a 5,000-file workspace for retrieval: event-loop lag, memory against the cap, query time
 * Results: bench/results/<name>.json; a full run (no --quick, no --only) also regenerates BENCHMARKS.md. Each throughput/latency cell runs in its own process.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import manifest from '../package.json';
import { ONNX_FILES } from '../src/model/folderLayout';
import { runCell } from './lib/child';
import { evaluateGoals } from './lib/goals';
import { renderBenchmarks } from './lib/markdown';
import { codeText, prepareModels, ROOT } from './lib/models';
import type { Dtype } from './lib/roofline';
import {
  SECTIONS,
  type BackendName,
  type BenchModel,
  type BenchResults,
  type LatencyCell,
  type LatencyInput,
  type LlamaCppGroup,
  type LlamaCppInput,
  type MachineInfo,
  type OptionsVariantResult,
  type ModelKey,
  type SectionName,
  type ThroughputGroup,
  type ThroughputInput,
} from './lib/types';
import type { OptionsInput } from './cells/options';
import { measurePackage } from './sections/pkg';
import { measureWorkspace } from './sections/workspace';
import { deriveLimits, measureRoofline } from './sections/roofline';

const log = (line: string) => console.error(line);

function listOf<T extends string>(allowed: readonly T[], what: string) {
  return (value: string): T[] => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const i of items) if (!allowed.includes(i as T)) throw new InvalidArgumentError(`unknown ${what} "${i}" (one of ${allowed.join(', ')})`);
    if (items.length === 0) throw new InvalidArgumentError(`no ${what} given`);
    return items as T[];
  };
}
function positiveInts(value: string): number[] {
  const items = value.split(',').map((s) => Number(s.trim()));
  for (const n of items) if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" must be positive integers separated by commas`);
  return items;
}
function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" must be a positive integer`);
  return n;
}

interface BenchOptions {
  quick: boolean;
  only?: SectionName[];
  name?: string;
  repeats?: number;
  latencyRepeats?: number;
  naiveRepeats?: number;
  threads?: number[];
  backends?: BackendName[];
  models?: ModelKey[];
  dtypes?: Dtype[];
  lengths?: number[];
  decodeTokens?: number;
  budget?: number;
  cellTimeout?: number;
  vsix: boolean;
  /** Run the llama.cpp peer cells in the throughput section (--no-llama-cpp turns them off). */
  llamaCpp: boolean;
  /** Regenerate BENCHMARKS.md from this run even when it is a --quick or --only run. */
  markdown: boolean;
}

/** Defaults of a full run and of --quick; every one can be overridden by its option. */
export function resolveOptions(o: BenchOptions) {
  const q = o.quick;
  return {
    sections: o.only ?? [...SECTIONS],
    repeats: o.repeats ?? (q ? 1 : 2),
    latencyRepeats: o.latencyRepeats ?? (q ? 3 : 6),
    naiveRepeats: o.naiveRepeats ?? (q ? 1 : 2),
    threads: o.threads ?? (q ? [1] : [1, 2]),
    backends: o.backends ?? (['native', 'wasm'] as BackendName[]),
    models: o.models ?? (['embedded', 'gpt2-small'] as ModelKey[]),
    dtypes: o.dtypes ?? (q ? (['int8'] as Dtype[]) : (['fp32', 'int8'] as Dtype[])),
    lengths: o.lengths ?? (q ? [256] : [256, 1024]),
    decodeTokens: o.decodeTokens ?? (q ? 8 : 16),
    budgetMs: (o.budget ?? (q ? 3 : 8)) * 1000,
    cellTimeoutMs: (o.cellTimeout ?? 600) * 1000,
    vsix: o.vsix,
    llamaCpp: o.llamaCpp,
  };
}

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

function busyProcesses(): MachineInfo['busyProcesses'] {
  try {
    const out = execFileSync('ps', ['-eo', 'pid=,pcpu=,comm=', '--sort=-pcpu'], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((l) => /^\s*(\d+)\s+([\d.]+)\s+(.+)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) !== process.pid && m[3] !== 'ps')
      .slice(0, 6)
      .map((m) => ({ command: m[3].trim(), cpuPercent: Number(m[2]) }));
  } catch {
    return [];
  }
}

function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    versions: {
      'onnxruntime-node': versionOf('onnxruntime-node'),
      'onnxruntime-web': versionOf('onnxruntime-web'),
      '@huggingface/transformers': versionOf('@huggingface/transformers'),
      'node-llama-cpp': versionOf('node-llama-cpp'),
    },
    loadAvgStart: os.loadavg(),
    loadAvgEnd: [],
    busyProcesses: busyProcesses(),
  };
}

function wasmPaths(): string {
  const dist = path.join(ROOT, 'dist', 'wasm');
  return fs.existsSync(path.join(dist, 'ort-wasm-simd-threaded.wasm')) ? dist : path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
}

async function runBench(o: BenchOptions, command: string): Promise<BenchResults> {
  const opt = resolveOptions(o);
  const started = new Date();
  const t0 = performance.now();
  const name = o.name ?? started.toISOString().replace(/[:]/g, '-').replace(/\..+$/, '') + (o.quick ? '-quick' : '') + (o.only ? `-only-${opt.sections.join('-')}` : '');
  const machine = machineInfo();
  log(`bench ${name}: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}`);
  const notes: string[] = [];
  const needsModels = ['throughput', 'options', 'latency'].some((x) => opt.sections.includes(x as SectionName));
  const modelKeys: ModelKey[] = (opt.sections.includes('latency') || opt.sections.includes('options')) && !opt.models.includes('embedded') ? [...opt.models, 'embedded'] : opt.models;
  const models: BenchModel[] = needsModels ? await prepareModels(modelKeys, manifest.localGpt.embeddedModel, log) : [];
  const promptText = needsModels ? codeText() : '';
  const results: BenchResults = {
    schema: 1,
    name,
    startedAt: started.toISOString(),
    durationS: 0,
    command,
    options: opt,
    machine,
    models,
    goals: [],
    notes,
  };

  if (opt.sections.includes('roofline')) {
    log('== roofline');
    results.roofline = measureRoofline({ threads: opt.threads, reps: o.quick ? 3 : 5, log });
  }

  if (opt.sections.includes('throughput')) {
    log('== throughput');
    results.throughput = [];
    for (const backend of opt.backends) {
      for (const threads of opt.threads) {
        const input: ThroughputInput = {
          backend,
          threads,
          wasmPaths: wasmPaths(),
          // --quick: GPT-2 small on the native backend only (on WASM it takes minutes).
          models: models
            .filter((m) => opt.models.includes(m.key) && !(o.quick && backend === 'wasm' && m.key === 'gpt2-small'))
            .flatMap((m) => opt.dtypes.map((dtype) => ({ key: m.key, dir: m.dir, dtype, shape: m.shape }))),
          prefillLengths: opt.lengths,
          decodeTokens: opt.decodeTokens,
          repeats: opt.repeats,
          budgetMs: opt.budgetMs,
          // The naive pipeline for the default dtype only, and GPT-2 small on native only (it doubles a cell's time).
          naive: opt.dtypes.includes('int8')
            ? { promptTokens: 256, newTokens: 16, repeats: opt.naiveRepeats, models: backend === 'native' && !o.quick ? ['embedded', 'gpt2-small'] : ['embedded'] }
            : null,
          promptText,
        };
        const run = await runCell<ThroughputGroup>(path.join(__dirname, 'cells', 'throughput.ts'), input, { timeoutMs: opt.cellTimeoutMs, label: `throughput ${backend} x${threads}`, log });
        if (run.ok) {
          const group = run.result!;
          // naive runs only for int8 cells: drop the fp32 ones the cell measured anyway
          for (const c of group.cells) if (c.dtype !== 'int8') c.naive = null;
          results.throughput.push(group);
        } else results.throughput.push({ backend, threads, ortMatMul: [], cells: [], error: run.error, wallMs: run.wallMs });
        log(`   (${(run.wallMs / 1000).toFixed(0)} s)`);
        // llama.cpp right after our native cell of the same thread count: same weights, prompts, lengths and load.
        if (backend === 'native' && opt.llamaCpp) {
          results.llamaCpp ??= [];
          const peer: LlamaCppInput = {
            threads,
            models: input.models,
            prefillLengths: opt.lengths,
            decodeTokens: opt.decodeTokens,
            repeats: opt.repeats,
            budgetMs: opt.budgetMs,
            promptText,
          };
          const l = await runCell<LlamaCppGroup>(path.join(__dirname, 'cells', 'llamaCpp.ts'), peer, { timeoutMs: opt.cellTimeoutMs, label: `llama.cpp x${threads}`, log });
          results.llamaCpp.push(l.ok ? l.result! : { threads, version: 'unknown', buildType: 'unknown', cells: [], error: l.error, wallMs: l.wallMs });
          log(`   (${(l.wallMs / 1000).toFixed(0)} s)`);
        }
      }
    }
  }

  if (opt.sections.includes('options')) {
    log('== options');
    const embedded = models.find((m) => m.key === 'embedded');
    const t = Math.max(...opt.threads);
    const engine = { intraOpNumThreads: t, interOpNumThreads: 1 }; // sessionOptionsFor('native', t)
    const input: OptionsInput = {
      wasmPaths: wasmPaths(),
      decodeSteps: o.quick ? 8 : 16,
      runs: [
        // The embedded model: its decode steps are short, so per-step overheads (thread hand-offs, allocation) show.
        ...(embedded && opt.backends.includes('native')
          ? [{
              backend: 'native' as const,
              file: path.join(embedded.dir, ONNX_FILES.q8),
              label: 'embedded int8',
              shape: embedded.shape,
              threads: t,
              variants: [
                { name: 'engine default', options: engine },
                { name: 'graphOptimizationLevel basic', options: { ...engine, graphOptimizationLevel: 'basic' } },
                { name: 'no intra-op spinning', options: { ...engine, extra: { session: { intra_op: { allow_spinning: '0' } } } } },
                ...(t > 1 ? [{ name: 'intraOpNumThreads 1', options: { ...engine, intraOpNumThreads: 1 } }] : []),
              ],
            }]
          : []),
        ...(embedded && opt.backends.includes('wasm')
          ? [{
              backend: 'wasm' as const,
              file: path.join(embedded.dir, ONNX_FILES.q8),
              label: 'embedded int8',
              shape: embedded.shape,
              threads: 1,
              variants: [
                { name: 'engine default (arena and memory pattern off)', options: {} },
                { name: 'enableCpuMemArena + enableMemPattern', options: { enableCpuMemArena: true, enableMemPattern: true } },
              ],
            }]
          : []),
      ],
    };
    const run = await runCell<OptionsVariantResult[]>(path.join(__dirname, 'cells', 'options.ts'), input, { timeoutMs: opt.cellTimeoutMs, label: 'options', log });
    results.sessionOptions = run.ok ? { results: run.result! } : { results: [], error: run.error };
    log(`   (${(run.wallMs / 1000).toFixed(0)} s)`);
  }

  if (opt.sections.includes('latency')) {
    log('== latency');
    results.latency = [];
    const embedded = models.find((m) => m.key === 'embedded')!;
    for (const backend of opt.backends) {
      for (const threads of opt.threads) {
        const input: LatencyInput = {
          backend,
          threads,
          wasmPaths: wasmPaths(),
          modelDir: embedded.dir,
          quantized: true,
          repeats: opt.latencyRepeats,
          promptText,
          newTokens: 16,
          naive: true,
          workerFile: path.join(ROOT, 'src', 'engine', 'worker.ts'),
        };
        const run = await runCell<LatencyCell>(path.join(__dirname, 'cells', 'latency.ts'), input, { timeoutMs: opt.cellTimeoutMs, label: `latency ${backend} x${threads}`, log });
        if (run.ok) results.latency.push(run.result!);
        else
          results.latency.push({
            backend,
            threads,
            dtype: 'int8',
            model: 'embedded',
            loadMs: 0,
            workerLoadMs: null,
            rssMiB: { before: 0, loaded: 0, peak: 0 },
            eventLoopLagMs: { idle: { p50: 0, p99: 0, max: 0, samples: 0 }, busy: { p50: 0, p99: 0, max: 0, samples: 0 } },
            scenarios: [],
            copyModel: [],
            naive: [],
            error: run.error,
            wallMs: run.wallMs,
          });
        log(`   (${(run.wallMs / 1000).toFixed(0)} s)`);
      }
    }
  }

  if (opt.sections.includes('package')) {
    log('== package');
    results.package = measurePackage({ buildVsix: opt.vsix, log });
  }

  if (opt.sections.includes('workspace')) {
    log('== workspace');
    results.workspace = await measureWorkspace({ files: o.quick ? 1000 : 5000, queries: 50, log });
  }

  const limits = deriveLimits(results.roofline, results.throughput);
  if (results.roofline) results.roofline.limits = limits;
  results.goals = evaluateGoals(results, limits);
  machine.loadAvgEnd = os.loadavg();
  results.durationS = (performance.now() - t0) / 1000;
  if (machine.loadAvgStart[0] > machine.cores) {
    notes.push(`The 1-minute load average was ${machine.loadAvgStart[0].toFixed(1)} at the start on ${machine.cores} cores: other processes competed for the CPU during this run.`);
  }
  for (const m of models) if (m.source.startsWith('random')) notes.push(`${m.key}: ${m.source}. Speed does not depend on the weights' values; the generated text is meaningless.`);
  return results;
}

function writeResults(results: BenchResults, markdown: boolean): string[] {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const written = [path.join(dir, `${results.name}.json`)];
  fs.writeFileSync(written[0], JSON.stringify(results, null, 1) + '\n');
  if (markdown) {
    const md = path.join(ROOT, 'BENCHMARKS.md');
    const previous = fs.existsSync(md) ? fs.readFileSync(md, 'utf8') : null;
    fs.writeFileSync(md, renderBenchmarks(results, results.roofline?.limits ?? deriveLimits(undefined, results.throughput), previous));
    written.push(md);
  }
  return written;
}

/**
 * Regenerates BENCHMARKS.md from a results file: limits and goals are recomputed from its raw
 * measurements with the current code (and written back into the file), the tables rendered from it.
 */
function renderFromResults(file: string): string[] {
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
  const limits = deriveLimits(results.roofline, results.throughput);
  if (results.roofline) results.roofline.limits = limits;
  results.goals = evaluateGoals(results, limits);
  fs.writeFileSync(file, JSON.stringify(results, null, 1) + '\n');
  const md = path.join(ROOT, 'BENCHMARKS.md');
  const previous = fs.existsSync(md) ? fs.readFileSync(md, 'utf8') : null;
  fs.writeFileSync(md, renderBenchmarks(results, limits, previous));
  return [file, md];
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench')
    .description('Local GPT engine benchmarks against the machine limits (see BENCHMARKS.md)')
    .option('--quick', 'reduced matrix: 1 thread, int8, 256-token prompts, fewer repeats; writes its results file only', false)
    .option('--only <sections>', `run only these sections (${SECTIONS.join(', ')}); writes the results file only`, listOf(SECTIONS, 'section'))
    .option('--name <name>', 'results file name (default: the start time)')
    .option('--repeats <n>', 'timed runs per throughput measurement after a warm-up (default 2, quick 1)', positiveInt)
    .option('--latency-repeats <n>', 'cursor spots per latency scenario (default 6, quick 3)', positiveInt)
    .option('--naive-repeats <n>', 'timed runs of the naive pipeline in throughput cells (default 2, quick 1)', positiveInt)
    .option('--threads <list>', 'thread counts (default 1,2; quick 1)', positiveInts)
    .option('--backends <list>', 'native,wasm', listOf(['native', 'wasm'] as const, 'backend'))
    .option('--models <list>', 'embedded,gpt2-small', listOf(['embedded', 'gpt2-small'] as const, 'model'))
    .option('--dtypes <list>', 'fp32,int8 (default both; quick int8)', listOf(['fp32', 'int8'] as const, 'dtype'))
    .option('--lengths <list>', 'prefill prompt lengths, clamped to the context window (default 256,1024; quick 256)', positiveInts)
    .option('--decode-tokens <n>', 'tokens decoded after each prefill (default 16, quick 8)', positiveInt)
    .option('--budget <s>', 'stop repeating a measurement after this many seconds (default 8, quick 3)', positiveInt)
    .option('--cell-timeout <s>', 'stop a cell process after this many seconds (default 600)', positiveInt)
    .option('--vsix', 'build the VSIX first (npm run package)', false)
    .option('--no-llama-cpp', 'skip the llama.cpp peer cells of the throughput section')
    .option('--markdown', 'regenerate BENCHMARKS.md from this run also for --quick / --only runs (it shows the sections that ran)', false)
    .option('--render <results.json>', 'measure nothing: regenerate BENCHMARKS.md (and the goals in the file) from a results file')
    .parse();
  const o = program.opts<BenchOptions & { render?: string }>();
  if (o.render) {
    log(`wrote ${renderFromResults(o.render).map((f) => path.relative(ROOT, path.resolve(f))).join(', ')}`);
    return;
  }
  const results = await runBench(o, `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`);
  // BENCHMARKS.md comes from full runs (or --markdown): a --quick or --only run writes its own file.
  const written = writeResults(results, o.markdown || (!o.only && !o.quick));
  log('');
  for (const g of results.goals) log(`${g.status.padEnd(12)} ${g.title}: ${g.display} (target ${g.target})`);
  log(`done in ${results.durationS.toFixed(0)} s; wrote ${written.map((f) => path.relative(ROOT, f)).join(', ')}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
