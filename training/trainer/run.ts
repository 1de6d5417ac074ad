/**
 * Runs the native trainer (training/native/build/gpt-train) for a TrainConfig: builds it if
 * needed, passes the hyper-parameters as arguments, reads its JSON-lines events, logs them,
 * appends them to <out>/log.jsonl, and exports model folders:
 *   <out>/latest/  after every checkpoint (config.json, model.safetensors, training.json)
 *   <out>/final/   when the configured number of steps is done
 * SIGINT/SIGTERM are forwarded to the trainer, which checkpoints and exits; resume with --resume.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { TrainConfig, type TrainingPrecision, flopsPerToken } from './config';
import { checkpointPath, exportModelFolder, readCheckpointWeights, writeInitialCheckpoint } from './checkpoint';
import { type GptWeights, decodeSafetensors, readWeights } from '../../src/model/weights';
import type { FimOrder } from '../../src/engine/protocol';
import { recordedFimOrder } from '../corpus/fim';

const NATIVE_DIR = path.resolve(__dirname, '..', 'native');
export const NATIVE_BIN = path.join(NATIVE_DIR, 'build', 'gpt-train');

/** One line of the trainer's stdout (see training/native/train.c). */
export type TrainerEvent =
  | { event: 'bench'; sgemm_gflops: number; threads: number; batch_size: number; seq_len: number }
  | { event: 'bench_shape'; name: string; m: number; n: number; k: number; gflops: number }
  | { event: 'bench_step'; step_ms: number; tok_s: number; gflops: number; sgemm_gflops: number; ratio: number; params: number; precision: TrainingPrecision; matmul_kernels: string }
  | { event: 'start'; step: number; steps: number; params: number; tokens: number; train_tokens: number; val_tokens: number; flops_per_token: number; threads: number; resumed: boolean; optimizer?: 'adamw' | 'muon'; precision?: TrainingPrecision; decay_start_step?: number }
  /** After the first step of an invocation: the matrix-product kernels that ran, e.g. "oneDNN bf16 brg:avx512_core_amx_bf16". */
  | { event: 'matmul'; precision: TrainingPrecision; kernels: string }
  | { event: 'step'; step: number; loss: number; lr: number; grad_norm: number; step_ms: number; tok_s: number; gflops: number; tokens: number; elapsed_s: number }
  /** A time-budgeted warmup-stable-decay run fixed its decay in steps: it ends at `steps`. */
  | { event: 'schedule'; decay_start_step: number; steps: number }
  | { event: 'eval'; step: number; val_loss: number; val_tokens: number; eval_ms: number }
  | { event: 'checkpoint'; step: number; tokens: number; path: string }
  | { event: 'done'; step: number; steps: number; finished: boolean; signal: number };

/** The events of one kind, typed as that kind. */
export function eventsOf<K extends TrainerEvent['event']>(events: readonly TrainerEvent[], kind: K): Extract<TrainerEvent, { event: K }>[] {
  return events.filter((e): e is Extract<TrainerEvent, { event: K }> => e.event === kind);
}

interface RunOptions {
  outDir: string;
  resume: boolean;
  /** Stop (with a checkpoint) after this many steps of this invocation; for tests and time slicing. */
  stopAfter?: number;
  /** Print progress lines (default true). */
  log?: (line: string) => void;
  /** Export <out>/latest after each checkpoint (default true). */
  exportLatest?: boolean;
  /**
   * Copy the token files, meta.json and the tokenizer folder beside meta.json into <out>/data/ on a
   * fresh start and train from the copies (resume uses them too), so regenerating the corpus during
   * a run cannot change or truncate its data, and the exported model carries its own tokenizer.
   */
  snapshotData?: boolean;
}

interface RunResult {
  events: TrainerEvent[];
  finished: boolean;
  finalDir?: string;
}

/** `make -C training/native` (a no-op when up to date). Throws with make's output on failure. */
export function buildNative(): void {
  const r = spawnSync('make', ['-s', '-C', NATIVE_DIR], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`make -C ${NATIVE_DIR} failed (needs gcc and libopenblas-dev; see training/native/Makefile):\n${r.stdout}${r.stderr}`);
  }
}

/**
 * Thread settings for the trainer. OpenBLAS 0.3.21 (Debian 12) does not know AMD Zen 4 and falls back to AVX2 kernels; on a CPU with
 * the AVX-512 subset the SkylakeX kernels need, ask for them. The user's own setting wins.
 */
export function blasEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  // Sleep instead of spinning at OpenMP barriers: on 2 cores shared with other jobs a spinning
  // thread burns the time slice its partner needs (measured: ~2x faster steps under load).
  env.OMP_WAIT_POLICY ??= 'PASSIVE';
  if (!env.OPENBLAS_CORETYPE) {
    try {
      const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [];
      if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'].every((f) => flags.includes(f))) env.OPENBLAS_CORETYPE = 'SKYLAKEX';
    } catch {
      // not Linux: leave OpenBLAS to its own detection
    }
  }
  return env;
}

export function nativeArgs(cfg: TrainConfig, outDir: string, resume: boolean, stopAfter?: number): string[] {
  const m = cfg.model;
  const t = cfg.training;
  const args: Record<string, string | number> = {
    out: outDir,
    train: cfg.data.train,
    val: cfg.data.val,
    'vocab-size': m.vocab_size,
    'n-positions': m.n_positions,
    'n-layer': m.n_layer,
    'n-head': m.n_head,
    'n-embd': m.n_embd,
    'layer-norm-epsilon': m.layer_norm_epsilon,
    'seq-len': t.seq_len,
    'batch-size': t.batch_size,
    'grad-accum': t.grad_accum,
    steps: t.steps,
    lr: t.lr,
    'min-lr': t.min_lr,
    'warmup-steps': t.warmup_steps,
    'weight-decay': t.weight_decay,
    'grad-clip': t.grad_clip,
    beta1: t.beta1,
    beta2: t.beta2,
    'eval-interval': t.eval_interval,
    'eval-tokens': t.eval_tokens,
    'checkpoint-minutes': t.checkpoint_minutes,
    'max-seconds': t.max_minutes * 60,
    'decay-fraction': t.decay_fraction,
    'decay-start-step': t.decay_start_step,
    optimizer: t.optimizer === 'muon' ? 1 : 0,
    'muon-momentum': t.muon_momentum,
    precision: t.precision,
    'log-interval': t.log_interval,
    seed: t.seed,
    resume: resume ? 1 : 0,
  };
  if (stopAfter) args['stop-after'] = stopAfter;
  return Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

function snapshotData(cfg: TrainConfig, outDir: string, resume: boolean): TrainConfig {
  const dir = path.join(outDir, 'data');
  const data = { train: path.join(dir, 'train.bin'), val: path.join(dir, 'val.bin'), meta: path.join(dir, 'meta.json') };
  if (resume && fs.existsSync(data.train)) return { ...cfg, data };
  if (resume) return cfg; // a run started without a snapshot keeps reading the configured files
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(cfg.data.train, data.train);
  fs.copyFileSync(cfg.data.val, data.val);
  if (fs.existsSync(cfg.data.meta)) fs.copyFileSync(cfg.data.meta, data.meta);
  const tok = path.join(path.dirname(cfg.data.meta), 'tokenizer');
  if (fs.existsSync(tok)) fs.cpSync(tok, path.join(dir, 'tokenizer'), { recursive: true });
  return { ...cfg, data };
}

/** Copies the run's tokenizer (if snapshotted) into a model folder. */
function copyTokenizer(runDir: string, modelDir: string): void {
  const tok = path.join(runDir, 'data', 'tokenizer');
  if (!fs.existsSync(tok)) return;
  for (const f of fs.readdirSync(tok)) fs.copyFileSync(path.join(tok, f), path.join(modelDir, f));
}

/**
 * The order of the run's fill-in-the-middle examples (corpus meta.json `fim`; a corpus from before the
 * order existed was psm), or false when it has none: the exported config.json then says `"fim": "spm"`
 * (or "psm"), which makes the extension use FIM prompts in that order (src/engine/modelFolder.ts).
 */
function corpusFimOrder(metaFile: string): FimOrder | false {
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { fim?: { examples?: unknown; order?: unknown } };
    if (!(typeof meta.fim?.examples === 'number' && meta.fim.examples > 0)) return false;
    return recordedFimOrder(meta.fim.order);
  } catch {
    return false;
  }
}

/** The weights `init_from` names (see TrainConfig.init_from), checked against the run's model shape. */
function readInitWeights(initFrom: string, config: TrainConfig['model']): GptWeights {
  const git = /^git:([0-9a-f]{7,40}):(.+)$/.exec(initFrom);
  if (git === null) return readWeights(path.join(initFrom, 'model.safetensors'), config);
  const object = `${git[1]}:${path.posix.join(git[2], 'model.safetensors')}`;
  const r = spawnSync('git', ['show', object], { maxBuffer: 1 << 30, cwd: path.resolve(__dirname, '..', '..') });
  if (r.status !== 0) throw new Error(`init_from ${initFrom}: git show ${object} failed: ${r.stderr.toString().trim()}`);
  return decodeSafetensors(config, r.stdout, object);
}

/** Writes <runDir>/<sub>/ from the checkpoint. */
export function exportFromCheckpoint(cfg: TrainConfig, runDir: string, sub: 'latest' | 'final', extra: Record<string, unknown> = {}): string {
  const { info, weights } = readCheckpointWeights(checkpointPath(runDir), cfg.model);
  const dir = path.join(runDir, sub);
  const meta = fs.existsSync(path.join(runDir, 'data', 'meta.json')) ? path.join(runDir, 'data', 'meta.json') : cfg.data.meta;
  const fim = corpusFimOrder(meta);
  const fixed = info.fixedSchedule;
  exportModelFolder(dir, cfg.model, weights, {
    config: cfg.name,
    step: info.step,
    steps: fixed?.steps ?? cfg.training.steps,
    tokens: info.tokens,
    training_seconds: Math.round(info.elapsedSeconds),
    seq_len: cfg.training.seq_len,
    schedule: fixed ? `warmup-stable-decay (decay from step ${fixed.decayStartStep} to ${fixed.steps})`
      : cfg.training.decay_fraction > 0 ? `warmup-stable-decay (decay over the last ${cfg.training.decay_fraction * 100}%)` : 'cosine',
    // The training settings that replay this run in steps, without the wall clock (training.max_minutes).
    ...(fixed && cfg.training.max_minutes > 0 ? { replay: { steps: fixed.steps, decay_start_step: fixed.decayStartStep, max_minutes: 0 } } : {}),
    precision: cfg.training.precision,
    ...(cfg.init_from !== undefined ? { init_from: cfg.init_from.startsWith('git:') ? cfg.init_from : path.relative(process.cwd(), cfg.init_from) } : {}),
    fim,
    ...extra,
  }, fim !== false ? { fim } : {});
  copyTokenizer(runDir, dir);
  return dir;
}

export async function runTraining(cfgIn: TrainConfig, opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  let cfg = cfgIn;
  for (const f of [cfg.data.train, cfg.data.val]) {
    if (!fs.existsSync(f)) throw new Error(`${f}: token file not found (run \`npm run corpus\`, or set data.train/data.val in ${cfg.source})`);
  }
  if (opts.resume && !fs.existsSync(checkpointPath(opts.outDir))) {
    throw new Error(`${checkpointPath(opts.outDir)}: no checkpoint to resume from (drop --resume to start a new run)`);
  }
  if (!opts.resume && fs.existsSync(checkpointPath(opts.outDir))) {
    throw new Error(`${checkpointPath(opts.outDir)}: a checkpoint already exists; pass --resume to continue it, or choose another --out`);
  }
  buildNative();
  fs.mkdirSync(opts.outDir, { recursive: true });
  if (opts.snapshotData) cfg = snapshotData(cfg, opts.outDir, opts.resume);
  fs.writeFileSync(path.join(opts.outDir, 'train-config.json'), JSON.stringify({ ...cfg, source: path.relative(process.cwd(), cfg.source) }, null, 2) + '\n');
  const logFile = fs.openSync(path.join(opts.outDir, 'log.jsonl'), 'a');

  // Starting from a model's weights = resuming a step-0 checkpoint that holds them with a fresh optimizer.
  let resume = opts.resume;
  if (!resume && cfg.init_from !== undefined) {
    const weights = readInitWeights(cfg.init_from, cfg.model);
    writeInitialCheckpoint(checkpointPath(opts.outDir), cfg.model, weights, cfg.training);
    log(`starting from the weights of ${cfg.init_from}`);
    resume = true;
  }
  const child = spawn(NATIVE_BIN, nativeArgs(cfg, opts.outDir, resume, opts.stopAfter), {
    env: blasEnv(cfg.training.threads),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (sig: NodeJS.Signals) => {
    log(`received ${sig}: asking the trainer to checkpoint and stop`);
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  const events: TrainerEvent[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    process.stderr.write(d);
  });
  const fpt = flopsPerToken(cfg.model, cfg.training.seq_len);
  let sgemm = 0;
  const window: number[] = []; // GFLOP/s of logged steps since the last sgemm measurement
  let startStep = 0;
  let totalSteps = cfg.training.steps; // the trainer's own count: a resumed or time-fixed schedule can change it
  let timeBudget = cfg.training.max_minutes * 60;
  let startTime = Date.now();
  let exportError: Error | undefined;
  const rl = readline.createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    let ev: TrainerEvent;
    try {
      ev = JSON.parse(line) as TrainerEvent;
    } catch {
      log(line);
      return;
    }
    events.push(ev);
    // Paths in the log are relative to the repository: the log is committed with the results (training/results/).
    const logged = ev.event === 'checkpoint' ? { ...ev, path: path.relative(path.resolve(__dirname, '../..'), ev.path) } : ev;
    fs.writeSync(logFile, JSON.stringify({ time: new Date().toISOString(), ...logged }) + '\n');
    switch (ev.event) {
      case 'bench': {
        sgemm = ev.sgemm_gflops;
        const recent = window.splice(0).sort((a, b) => a - b);
        const median = recent.length ? recent[Math.floor(recent.length / 2)] : 0;
        const since = recent.length ? `; steps since last eval: median ${median.toFixed(1)} GFLOP/s = ${Math.round((100 * median) / sgemm)}% of it` : '';
        log(`sgemm on this model's matmul shapes: ${ev.sgemm_gflops.toFixed(1)} GFLOP/s (${ev.threads} threads, ${os.cpus()[0]?.model ?? 'cpu'})${since}`);
        break;
      }
      case 'start':
        startStep = ev.step;
        totalSteps = ev.steps;
        if ((ev.decay_start_step ?? 0) > 0) timeBudget = 0; // fixed in steps: the trainer ignores the clock
        startTime = Date.now();
        log(`${ev.resumed ? 'resuming' : 'starting'} ${cfg.name}: ${(ev.params / 1e6).toFixed(2)}M params, step ${ev.step}/${ev.steps}, ` +
          `${ev.optimizer ?? 'adamw'}, ${ev.precision ?? 'fp32'} matmuls, ${(cfg.training.batch_size * cfg.training.seq_len * cfg.training.grad_accum)} tokens/step, train.bin ${(ev.train_tokens / 1e6).toFixed(1)}M tokens, ` +
          `${(fpt / 1e6).toFixed(1)} MFLOP/token`);
        break;
      case 'step': {
        if (ev.step > startStep + 1) window.push(ev.gflops);
        const done = ev.step - startStep;
        const perStep = (Date.now() - startTime) / 1000 / Math.max(1, done);
        let eta = perStep * (totalSteps - ev.step);
        if (timeBudget > 0) eta = Math.min(eta, timeBudget - ev.elapsed_s);
        const ratio = sgemm > 0 ? ` (${Math.round((100 * ev.gflops) / sgemm)}% of sgemm)` : '';
        log(`step ${ev.step}/${totalSteps} | loss ${ev.loss.toFixed(4)} | lr ${ev.lr.toExponential(2)} | ` +
          `${Math.round(ev.tok_s)} tok/s | ${ev.gflops.toFixed(1)} GFLOP/s${ratio} | ${(ev.tokens / 1e6).toFixed(2)}M tokens | ETA ${fmtDuration(eta)}`);
        break;
      }
      case 'schedule':
        totalSteps = ev.steps;
        timeBudget = 0;
        log(`stable phase over on time: the decay runs from step ${ev.decay_start_step} to ${ev.steps} (replay: training.steps ${ev.steps}, decay_start_step ${ev.decay_start_step})`);
        break;
      case 'matmul':
        log(`matrix products (${ev.precision}): ${ev.kernels}`);
        break;
      case 'eval':
        log(`eval step ${ev.step}: val loss ${ev.val_loss.toFixed(4)} over ${ev.val_tokens} tokens (${(ev.eval_ms / 1000).toFixed(1)} s)`);
        break;
      case 'checkpoint':
        if (opts.exportLatest !== false) {
          try {
            exportFromCheckpoint(cfg, opts.outDir, 'latest');
          } catch (e) {
            exportError = e as Error;
          }
        }
        log(`checkpoint at step ${ev.step} -> ${ev.path}`);
        break;
      default:
        break;
    }
  });
  const code: number = await new Promise((resolve) => child.on('close', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  fs.closeSync(logFile);
  if (code !== 0) throw new Error(`gpt-train exited with status ${code}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`);
  if (exportError) throw exportError;
  const done = eventsOf(events, 'done')[0];
  const finished = done?.finished ?? false;
  let finalDir: string | undefined;
  if (finished) {
    const lastEval = eventsOf(events, 'eval').at(-1);
    finalDir = exportFromCheckpoint(cfg, opts.outDir, 'final', lastEval ? { val_loss: lastEval.val_loss } : {});
    log(`finished: model written to ${finalDir}`);
  } else {
    log(`stopped at step ${done?.step ?? '?'}; continue with --resume`);
  }
  return { events, finished, finalDir };
}
