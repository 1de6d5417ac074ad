/**
 * The machine's limits, measured in the same run as the engine: OpenBLAS sgemm GFLOP/s and memory
 * bandwidth (read, copy, triad) from bench/native/roofline.c, an sgemv over the LM head's shape
 * (a decode-like matrix read from memory), and a 256 MiB Float32Array copy in JavaScript.
 * The runtimes' own MatMul rates come from the throughput cells (one per backend and thread count).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Limit, Limits } from '../lib/roofline';
import { ROOT, TMP } from '../lib/models';
import { rateOf, summarize } from '../lib/stats';
import type { RateMeasure, RooflineResults, ThroughputGroup } from '../lib/types';

const SOURCE = path.join(ROOT, 'bench', 'native', 'roofline.c');
const BINARY = path.join(TMP, 'roofline');
const OPENBLAS_OPENMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

/** Builds bench/tmp/roofline when the source is newer; returns null or why it cannot. */
function buildRoofline(): string | null {
  if (fs.existsSync(BINARY) && fs.statSync(BINARY).mtimeMs > fs.statSync(SOURCE).mtimeMs) return null;
  fs.mkdirSync(TMP, { recursive: true });
  const blas = fs.existsSync(path.join(OPENBLAS_OPENMP, 'libopenblas.so.0'))
    ? [path.join(OPENBLAS_OPENMP, 'libopenblas.so.0'), `-Wl,-rpath,${OPENBLAS_OPENMP}`]
    : ['-lopenblas'];
  try {
    execFileSync('gcc', ['-O3', '-march=native', '-fopenmp', SOURCE, '-o', BINARY, ...blas, '-lm'], { stdio: 'pipe' });
    return null;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return `gcc could not build ${path.relative(ROOT, SOURCE)} (needs gcc and OpenBLAS: apt-get install gcc libopenblas-dev): ${(err.stderr?.toString() || err.message).split('\n')[0]}`;
  }
}

interface NativeLine {
  kind: 'sgemm' | 'sgemv' | 'read' | 'copy' | 'triad';
  threads: number;
  flops?: number;
  bytes?: number;
  m?: number;
  n?: number;
  k?: number;
  mib?: number;
  ms: number[];
  cpu_ms?: number[];
}

function runNative(args: string[]): NativeLine[] {
  const out = execFileSync(BINARY, args, { encoding: 'utf8', timeout: 120_000 });
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as NativeLine);
}

function measureOf(line: NativeLine): RateMeasure {
  const ms = summarize(line.ms);
  const work = line.kind === 'sgemm' ? line.flops! : line.bytes!;
  const shape = line.kind === 'sgemm' ? ` ${line.m}x${line.k}x${line.n}` : line.kind === 'sgemv' ? ` ${line.n}x${line.k}` : ` ${line.mib} MiB`;
  const cpuMs = line.cpu_ms ? summarize(line.cpu_ms) : undefined;
  return { label: `${line.kind}${shape}`, threads: line.threads, work, unit: line.kind === 'sgemm' ? 'flop' : 'byte', ms, rate: rateOf(work, ms), cpuMs, cpuRate: cpuMs ? rateOf(work, cpuMs) : undefined };
}

function jsCopy(reps: number): RateMeasure {
  const n = (256 * 2 ** 20) / 4;
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n);
  const ms: number[] = [];
  const cpu: number[] = [];
  b.set(a); // warm-up: touches b's pages
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    b.set(a);
    ms.push(performance.now() - t);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const s = summarize(ms);
  const cpuMs = summarize(cpu);
  return { label: 'Float32Array.set 256 MiB (JS copy)', threads: 1, work: 2 * n * 4, unit: 'byte', ms: s, rate: rateOf(2 * n * 4, s), cpuMs, cpuRate: rateOf(2 * n * 4, cpuMs) };
}

export function measureRoofline(opts: { threads: number[]; reps: number; log: (line: string) => void }): RooflineResults {
  const { log } = opts;
  const problem = buildRoofline();
  const measures: RateMeasure[] = [];
  if (!problem) {
    for (const t of opts.threads) {
      // Shapes of a prefill: GPT-2 small's c_fc at 256 tokens, and the embedded model's.
      for (const [m, n, k] of [
        [256, 3072, 768],
        [256, 1024, 256],
      ]) {
        measures.push(...runNative(['sgemm', String(m), String(n), String(k), String(t), String(opts.reps * 4)]).map(measureOf));
      }
      measures.push(...runNative(['sgemv', '50257', '768', String(t), String(opts.reps * 2)]).map(measureOf));
      measures.push(...runNative(['bw', '128', String(t), String(opts.reps)]).map(measureOf));
    }
    for (const m of measures) log(`${m.label} x${m.threads}: best ${fmtRate(m)} median ${fmtRate(m, 'median')}${m.cpuRate ? `, on CPU time best ${fmtRate({ ...m, rate: m.cpuRate })}` : ''}`);
  } else {
    log(`roofline: ${problem}`);
  }
  const js = [jsCopy(opts.reps)];
  log(`${js[0].label}: best ${fmtRate(js[0])}`);
  return { native: { available: !problem, note: problem ?? undefined, measures }, js, limits: { flops: [], int8Flops: [], readBytes: [] } };
}

function fmtRate(m: RateMeasure, which: 'best' | 'median' = 'best'): string {
  return m.unit === 'flop' ? `${(m.rate[which] / 1e9).toFixed(1)} GFLOP/s` : `${(m.rate[which] / 1e9).toFixed(1)} GB/s`;
}

/**
 * The limits rooflines use, per thread count: compute = the best of OpenBLAS sgemm and the
 * runtimes' fp32 MatMul (OpenBLAS may not know the newest CPUs; ORT's MLAS may be faster);
 * int8 compute = ONNX Runtime's native int8 MatMulInteger (DynamicQuantizeLinear + MatMulInteger,
 * the int8 graphs' own kernels) measured in the same run;
 * bandwidth = the best of the read, copy and triad kernels and the sgemv. For one thread the rate
 * on CPU time counts too: on a shared machine it is the hardware's speed while the kernel runs.
 */
export function deriveLimits(roofline: RooflineResults | undefined, groups: readonly ThroughputGroup[] | undefined): Limits {
  const flops: Limit[] = [];
  const int8Flops: Limit[] = [];
  const readBytes: Limit[] = [];
  const add = (to: Limit[], m: RateMeasure, source: string) => {
    to.push({ threads: m.threads, value: m.rate.best, source });
    if (m.threads === 1 && m.cpuRate) to.push({ threads: 1, value: m.cpuRate.best, source: `${source}, on CPU time` });
  };
  for (const m of roofline?.native.measures ?? []) {
    if (m.unit === 'flop') add(flops, m, `OpenBLAS ${m.label}`);
    else add(readBytes, m, m.label.startsWith('sgemv') ? `OpenBLAS ${m.label}` : `C ${m.label}`);
  }
  for (const m of roofline?.js ?? []) add(readBytes, m, m.label);
  for (const g of groups ?? []) {
    for (const m of g.ortMatMul) {
      if (g.backend !== 'native') continue;
      if (m.label.includes('fp32')) add(flops, m, m.label);
      if (m.label.includes('int8')) add(int8Flops, m, m.label);
    }
  }
  return { flops, int8Flops, readBytes };
}
