/**
 * Reads the native trainer's checkpoint (format in training/native/train.c) and exports its
 * parameters as a model folder (config.json + model.safetensors, docs/ARCHITECTURE.md).
 * The checkpoint's parameter block is already in safetensors tensor order, so export is a slice
 * per tensor of `tensorLayout`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GptConfig } from '../../src/model/config';
import { GptWeights, tensorLayout, writeWeights } from '../../src/model/weights';

const MAGIC = 0x3154504b43545047n; // "GPTCKPT1"
const HEADER_BYTES = 32 * 8;

interface CheckpointInfo {
  step: number;
  tokens: number;
  numParams: number;
  vocab_size: number;
  n_positions: number;
  n_layer: number;
  n_head: number;
  n_embd: number;
  elapsedSeconds: number;
  /**
   * The warmup-stable-decay schedule as fixed in steps (`--decay-start-step`, or chosen by a time-budgeted
   * run when its stable phase ended): decay from `decayStartStep` to min_lr at `steps`; undefined when not fixed.
   */
  fixedSchedule?: { decayStartStep: number; steps: number };
}

export function checkpointPath(runDir: string): string {
  return path.join(runDir, 'checkpoint.bin');
}

function readHeader(file: string, fd: number): CheckpointInfo {
  const h = Buffer.alloc(HEADER_BYTES);
  if (fs.readSync(fd, h, 0, HEADER_BYTES, 0) !== HEADER_BYTES) throw new Error(`${file}: too short for a checkpoint header`);
  const word = (i: number): bigint => h.readBigInt64LE(i * 8);
  if (word(0) !== MAGIC || word(1) !== 1n) throw new Error(`${file}: not a version 1 gpt-train checkpoint`);
  return {
    vocab_size: Number(word(2)),
    n_positions: Number(word(3)),
    n_layer: Number(word(4)),
    n_head: Number(word(5)),
    n_embd: Number(word(6)),
    step: Number(word(7)),
    tokens: Number(word(8)),
    numParams: Number(word(10)),
    elapsedSeconds: h.readDoubleLE(15 * 8),
    ...(word(16) > 0n ? { fixedSchedule: { decayStartStep: Number(word(16)), steps: Number(word(17)) } } : {}),
  };
}

function openOrThrow(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    throw new Error(`${file}: cannot open checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The model weights stored in a checkpoint, checked against `config`. */
export function readCheckpointWeights(file: string, config: GptConfig): { info: CheckpointInfo; weights: GptWeights } {
  const fd = openOrThrow(file);
  try {
    const info = readHeader(file, fd);
    const mismatch = (['vocab_size', 'n_positions', 'n_layer', 'n_head', 'n_embd'] as const).filter((k) => info[k] !== config[k]);
    if (mismatch.length) {
      throw new Error(`${file}: checkpoint ${mismatch.map((k) => `${k}=${info[k]}`).join(', ')} differs from the config (${mismatch.map((k) => `${k}=${config[k]}`).join(', ')})`);
    }
    const bytes = Buffer.alloc(info.numParams * 4);
    if (fs.readSync(fd, bytes, 0, bytes.length, HEADER_BYTES) !== bytes.length) throw new Error(`${file}: checkpoint is truncated`);
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, info.numParams);
    const weights: GptWeights = {
      wte: new Float32Array(0),
      wpe: new Float32Array(0),
      layers: Array.from({ length: config.n_layer }, () => ({}) as GptWeights['layers'][number]),
      ln_f_weight: new Float32Array(0),
      ln_f_bias: new Float32Array(0),
    };
    let off = 0;
    for (const t of tensorLayout(config)) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      t.set(weights, all.slice(off, off + n));
      off += n;
    }
    if (off !== info.numParams) throw new Error(`${file}: checkpoint holds ${info.numParams} parameters, the config needs ${off}`);
    return { info, weights };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a step-0 checkpoint holding `weights` with zero AdamW moments: resuming it starts training from those
 * weights (the RNG state is the one a fresh run with `training.seed` starts with, see train.c).
 */
export function writeInitialCheckpoint(
  file: string,
  config: GptConfig,
  weights: GptWeights,
  training: { seed: number; seq_len: number; batch_size: number; grad_accum: number },
): void {
  const layout = tensorLayout(config);
  const numParams = layout.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const h = Buffer.alloc(HEADER_BYTES);
  const words: Array<[number, bigint]> = [
    [0, MAGIC], [1, 1n], [2, BigInt(config.vocab_size)], [3, BigInt(config.n_positions)], [4, BigInt(config.n_layer)],
    [5, BigInt(config.n_head)], [6, BigInt(config.n_embd)], [7, 0n], [8, 0n],
    [9, BigInt.asIntN(64, 0x9e3779b97f4a7c15n ^ BigInt(training.seed))], [10, BigInt(numParams)],
    [11, BigInt(training.seq_len)], [12, BigInt(training.batch_size)], [13, BigInt(training.grad_accum)],
  ];
  for (const [i, v] of words) h.writeBigInt64LE(v, i * 8);
  h.writeDoubleLE(config.layer_norm_epsilon, 14 * 8);
  h.writeDoubleLE(0, 15 * 8);
  const params = new Float32Array(numParams);
  let off = 0;
  for (const t of layout) {
    const tensor = t.get(weights);
    params.set(tensor, off);
    off += tensor.length;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, h);
    fs.writeSync(fd, Buffer.from(params.buffer));
    const zeros = Buffer.alloc(numParams * 4);
    fs.writeSync(fd, zeros);
    fs.writeSync(fd, zeros);
  } finally {
    fs.closeSync(fd);
  }
}

/** Hugging Face GPT-2 config.json for our model (keys read by src/model/config.ts and transformers.js). */
function hfConfigJson(c: GptConfig): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: c.vocab_size,
    n_positions: c.n_positions,
    n_ctx: c.n_positions,
    n_embd: c.n_embd,
    n_layer: c.n_layer,
    n_head: c.n_head,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: c.layer_norm_epsilon,
    bos_token_id: c.bos_token_id,
    eos_token_id: c.eos_token_id,
    tie_word_embeddings: true,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
  };
}

/** Writes `dir/config.json`, `dir/model.safetensors` and `dir/training.json` (provenance). */
/** `extraConfig`: more config.json keys (e.g. `"fim": true`); the GPT-2 keys always win. */
export function exportModelFolder(
  dir: string,
  config: GptConfig,
  weights: GptWeights,
  provenance: Record<string, unknown>,
  extraConfig: Record<string, unknown> = {},
): void {
  fs.mkdirSync(dir, { recursive: true });
  // write to temp names then rename, so a reader never sees a half-written pair
  writeWeights(path.join(dir, 'model.safetensors.tmp'), config, weights);
  fs.writeFileSync(path.join(dir, 'config.json.tmp'), JSON.stringify({ ...extraConfig, ...hfConfigJson(config) }, null, 2) + '\n');
  fs.renameSync(path.join(dir, 'model.safetensors.tmp'), path.join(dir, 'model.safetensors'));
  fs.renameSync(path.join(dir, 'config.json.tmp'), path.join(dir, 'config.json'));
  fs.writeFileSync(path.join(dir, 'training.json'), JSON.stringify(provenance, null, 2) + '\n');
}
