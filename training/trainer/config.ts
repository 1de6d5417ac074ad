/**
 * Training run configuration: `training/configs/<name>.json`, validated with errors that name the file.
 *
 * ```json
 * {
 *   "name": "embedded",
 *   "model": { "n_layer": 4, "n_embd": 256, "n_head": 4, "n_positions": 512 },
 *   "training": { "seq_len": 256, "batch_size": 16, "lr": 1e-3, "total_tokens": 20000000, ... },
 *   "data": { "train": "data/corpus/train.bin", "val": "data/corpus/val.bin", "meta": "data/corpus/meta.json" }
 * }
 * ```
 * `model.vocab_size` defaults to `vocabSize` in the data meta.json. Training length is either
 * `training.steps` or `training.total_tokens` (rounded up to whole steps of batch_size * seq_len * grad_accum).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GptConfig, validateConfig, DEFAULT_LAYER_NORM_EPSILON } from '../../src/model/config';

interface TrainingHyperParams {
  /** Tokens per training row (<= n_positions). */
  seq_len: number;
  batch_size: number;
  grad_accum: number;
  /** Optimizer steps; derived from total_tokens when that is given instead. */
  steps: number;
  lr: number;
  min_lr: number;
  warmup_steps: number;
  weight_decay: number;
  grad_clip: number;
  beta1: number;
  beta2: number;
  /** Steps between validation runs (0: only at the end). */
  eval_interval: number;
  /** Validation tokens per evaluation (the first ones of val.bin, fixed windows). */
  eval_tokens: number;
  /**
   * Wall-time budget in minutes (0: none). The schedule follows training time when that is further along
   * than the step count. Warmup-stable-decay: the stable phase ends on time, and the trainer then fixes
   * the decay in steps (a `schedule` event; the checkpoint and training.json keep it), so
   * `steps` + `decay_start_step` replay the run exactly. Cosine: the decay follows the time to the end
   * of the budget, not bit-reproducibly.
   */
  max_minutes: number;
  /**
   * 0: cosine decay from lr to min_lr over the whole run. Between 0 and 1: warmup-stable-decay, lr held at
   * its peak until this last share of the run (in steps or, with max_minutes, in time), then decayed to
   * min_lr as 1 - sqrt(progress through the decay).
   */
  decay_fraction: number;
  /**
   * Warmup-stable-decay fixed in steps (0: unset): peak lr until this step, then the decay to min_lr at
   * `steps`. Replays a time-budgeted run from the values its training.json records; not with max_minutes.
   */
  decay_start_step: number;
  /** 'adamw' for every tensor, or 'muon' for the hidden matrices (c_attn, attn.c_proj, c_fc, mlp.c_proj) and AdamW for the rest. */
  optimizer: 'adamw' | 'muon';
  /** Nesterov momentum of Muon. */
  muon_momentum: number;
  /**
   * The precision of the linear layers' and LM head's matrix products: 'fp32' (OpenBLAS sgemm) or 'bf16'
   * (oneDNN on bf16 copies of the operands, fp32 accumulation; weights, gradients and optimizer state stay
   * fp32; training/native/matmul.h). bf16 needs a trainer built with oneDNN and a CPU it supports.
   */
  precision: TrainingPrecision;
  /** Minutes between checkpoints (also written on SIGINT/SIGTERM and at the end). */
  checkpoint_minutes: number;
  log_interval: number;
  seed: number;
  /** OpenMP + OpenBLAS threads. */
  threads: number;
}

interface DataPaths {
  train: string;
  val: string;
  meta: string;
}

export interface TrainConfig {
  name: string;
  model: GptConfig;
  training: TrainingHyperParams;
  data: DataPaths;
  /**
   * A model folder (holding model.safetensors) whose weights a fresh run starts from instead of a random
   * initialisation (the optimizer state starts at zero): a path, resolved like the data paths, or
   * `git:<commit>:<folder>` for the folder as committed (so a config keeps reproducing its model after that
   * folder is replaced by the model it trained). Undefined: random init.
   */
  init_from?: string;
  /** Where the config was read from, for messages. */
  source: string;
}

export const TRAINING_PRECISIONS = ['fp32', 'bf16'] as const;
export type TrainingPrecision = (typeof TRAINING_PRECISIONS)[number];

const DEFAULTS: Omit<TrainingHyperParams, 'steps' | 'optimizer' | 'precision'> = {
  seq_len: 256,
  batch_size: 16,
  grad_accum: 1,
  lr: 1e-3,
  min_lr: 1e-4,
  warmup_steps: 100,
  weight_decay: 0.1,
  grad_clip: 1.0,
  beta1: 0.9,
  beta2: 0.95,
  eval_interval: 250,
  eval_tokens: 131072,
  max_minutes: 0,
  decay_fraction: 0,
  decay_start_step: 0,
  muon_momentum: 0.95,
  checkpoint_minutes: 5,
  log_interval: 10,
  seed: 1337,
  threads: 2,
};

const DEFAULT_DATA: DataPaths = {
  train: 'data/corpus/train.bin',
  val: 'data/corpus/val.bin',
  meta: 'data/corpus/meta.json',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads `vocabSize` (corpus meta.json) or `vocab_size`. */
export function readVocabSize(metaPath: string): number {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
  } catch (e) {
    throw new Error(`${metaPath}: cannot read corpus meta.json (${(e as Error).message}); run \`npm run corpus\` first or set model.vocab_size`);
  }
  const v = isRecord(json) ? (json.vocabSize ?? json.vocab_size) : undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > 65536) {
    throw new Error(`${metaPath}: "vocabSize" must be an integer in [1, 65536] (uint16 tokens), got ${JSON.stringify(v)}`);
  }
  return v;
}

interface LoadOverrides {
  train?: string;
  val?: string;
  meta?: string;
}

/** Loads and validates a training config; relative data paths resolve against `cwd`. */
export function loadTrainConfig(file: string, overrides: LoadOverrides = {}, cwd = process.cwd()): TrainConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read training config (${(e as Error).message})`);
  }
  if (!isRecord(raw)) throw new Error(`${file}: expected a JSON object`);
  const name = raw.name ?? path.basename(file, '.json');
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new Error(`${file}: "name" must be a plain file name (letters, digits, . _ -), got ${JSON.stringify(name)}`);
  }
  const model = isRecord(raw.model) ? raw.model : {};
  const training = isRecord(raw.training) ? raw.training : {};
  const data = isRecord(raw.data) ? raw.data : {};
  for (const [k, v] of Object.entries(data)) {
    if (!(k in DEFAULT_DATA) || typeof v !== 'string') throw new Error(`${file}: data.${k} is not a known path setting (train, val, meta)`);
  }
  const dataPaths: DataPaths = {
    train: path.resolve(cwd, overrides.train ?? (data.train as string | undefined) ?? DEFAULT_DATA.train),
    val: path.resolve(cwd, overrides.val ?? (data.val as string | undefined) ?? DEFAULT_DATA.val),
    meta: path.resolve(cwd, overrides.meta ?? (data.meta as string | undefined) ?? DEFAULT_DATA.meta),
  };

  const vocab = model.vocab_size ?? readVocabSize(dataPaths.meta);
  const gpt = validateConfig(
    {
      vocab_size: vocab as number,
      n_positions: model.n_positions as number,
      n_embd: model.n_embd as number,
      n_layer: model.n_layer as number,
      n_head: model.n_head as number,
      layer_norm_epsilon: (model.layer_norm_epsilon as number | undefined) ?? DEFAULT_LAYER_NORM_EPSILON,
      bos_token_id: 0,
      eos_token_id: 0,
    },
    `${file} (model)`,
  );

  const known = new Set([...Object.keys(DEFAULTS), 'steps', 'total_tokens', 'optimizer', 'precision']);
  for (const k of Object.keys(training)) {
    if (!known.has(k)) throw new Error(`${file}: unknown setting training.${k}`);
  }
  const num = (key: keyof typeof DEFAULTS): number => {
    const v = training[key] ?? DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${file}: training.${key} must be a non-negative number, got ${JSON.stringify(v)}`);
    return v;
  };
  const hp: TrainingHyperParams = {
    seq_len: num('seq_len'),
    batch_size: num('batch_size'),
    grad_accum: num('grad_accum'),
    steps: 0,
    lr: num('lr'),
    min_lr: num('min_lr'),
    warmup_steps: num('warmup_steps'),
    weight_decay: num('weight_decay'),
    grad_clip: num('grad_clip'),
    beta1: num('beta1'),
    beta2: num('beta2'),
    eval_interval: num('eval_interval'),
    eval_tokens: num('eval_tokens'),
    max_minutes: num('max_minutes'),
    decay_fraction: num('decay_fraction'),
    decay_start_step: num('decay_start_step'),
    optimizer: optimizerOf(training.optimizer, file),
    muon_momentum: num('muon_momentum'),
    precision: precisionOf(training.precision, file),
    checkpoint_minutes: num('checkpoint_minutes'),
    log_interval: num('log_interval'),
    seed: num('seed'),
    threads: num('threads'),
  };
  for (const k of ['seq_len', 'batch_size', 'grad_accum', 'threads'] as const) {
    if (!Number.isInteger(hp[k]) || hp[k] < 1) throw new Error(`${file}: training.${k} must be a positive integer, got ${hp[k]}`);
  }
  if (hp.seq_len > gpt.n_positions) throw new Error(`${file}: training.seq_len (${hp.seq_len}) exceeds model.n_positions (${gpt.n_positions})`);
  if (hp.decay_fraction > 1) throw new Error(`${file}: training.decay_fraction must be in [0, 1] (0: cosine schedule), got ${hp.decay_fraction}`);
  if (hp.min_lr > hp.lr) throw new Error(`${file}: training.min_lr (${hp.min_lr}) is above training.lr (${hp.lr})`);
  const tokensPerStep = hp.seq_len * hp.batch_size * hp.grad_accum;
  if (typeof training.steps === 'number' && training.total_tokens !== undefined) {
    throw new Error(`${file}: give training.steps or training.total_tokens, not both`);
  }
  if (typeof training.steps === 'number') hp.steps = training.steps;
  else if (typeof training.total_tokens === 'number') hp.steps = Math.ceil(training.total_tokens / tokensPerStep);
  if (!Number.isInteger(hp.steps) || hp.steps < 1) throw new Error(`${file}: training.steps or training.total_tokens must give at least one step`);
  if (hp.decay_start_step > 0) {
    const why = hp.decay_fraction === 0 ? 'needs a warmup-stable-decay schedule (training.decay_fraction > 0)'
      : hp.max_minutes > 0 ? 'replays a schedule in steps and cannot be combined with training.max_minutes'
      : !Number.isInteger(hp.decay_start_step) || hp.decay_start_step < hp.warmup_steps || hp.decay_start_step >= hp.steps
        ? `must be an integer in [training.warmup_steps, training.steps) = [${hp.warmup_steps}, ${hp.steps})` : '';
    if (why) throw new Error(`${file}: training.decay_start_step (${hp.decay_start_step}) ${why}`);
  }
  let initFrom: string | undefined;
  if (raw.init_from !== undefined) {
    if (typeof raw.init_from !== 'string' || raw.init_from === '') throw new Error(`${file}: "init_from" must be the path of a model folder`);
    initFrom = raw.init_from.startsWith('git:') ? raw.init_from : path.resolve(cwd, raw.init_from);
    if (initFrom.startsWith('git:') && !/^git:[0-9a-f]{7,40}:[^:]+$/.test(initFrom)) {
      throw new Error(`${file}: "init_from" ${JSON.stringify(initFrom)} is not git:<commit>:<model folder>`);
    }
  }
  return { name, model: gpt, training: hp, data: dataPaths, init_from: initFrom, source: file };
}

function optimizerOf(value: unknown, file: string): 'adamw' | 'muon' {
  if (value === undefined || value === 'adamw' || value === 'muon') return value ?? 'adamw';
  throw new Error(`${file}: training.optimizer must be "adamw" or "muon", got ${JSON.stringify(value)}`);
}

function precisionOf(value: unknown, file: string): TrainingPrecision {
  if (value === undefined) return 'fp32';
  if (TRAINING_PRECISIONS.includes(value as TrainingPrecision)) return value as TrainingPrecision;
  throw new Error(`${file}: training.precision must be one of ${TRAINING_PRECISIONS.map((p) => `"${p}"`).join(', ')}, got ${JSON.stringify(value)}`);
}

/** Model FLOPs per trained token, the formula documented in training/native/train.c. */
export function flopsPerToken(c: GptConfig, seqLen: number): number {
  const { n_layer: L, n_embd: C, vocab_size: V } = c;
  return 6 * (L * 12 * C * C + V * C) + 6 * L * C * (seqLen + 1);
}
