/**
 * GPT-2 weights: names, shapes and the file format shared by the trainer and the exporter.
 *
 * File format: `model.safetensors` (https://huggingface.co/docs/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON `{name: {dtype: "F32", shape, data_offsets}}`,
 * then the raw little-endian float32 data. Tensor names follow Hugging Face GPT-2 (without the
 * `transformer.` prefix). Linear weights use GPT-2's Conv1D layout `[in, out]`, so `y = x W + b`.
 * The LM head is tied to `wte`. See docs/ARCHITECTURE.md.
 */
import * as fs from 'node:fs';
import { GptConfig } from './config';

type Shape = readonly number[];

export interface LayerWeights {
  ln_1_weight: Float32Array; // [C]
  ln_1_bias: Float32Array; // [C]
  c_attn_weight: Float32Array; // [C, 3C]  columns: q | k | v, each split into heads of hs
  c_attn_bias: Float32Array; // [3C]
  attn_c_proj_weight: Float32Array; // [C, C]
  attn_c_proj_bias: Float32Array; // [C]
  ln_2_weight: Float32Array; // [C]
  ln_2_bias: Float32Array; // [C]
  c_fc_weight: Float32Array; // [C, 4C]
  c_fc_bias: Float32Array; // [4C]
  mlp_c_proj_weight: Float32Array; // [4C, C]
  mlp_c_proj_bias: Float32Array; // [C]
}

export interface GptWeights {
  wte: Float32Array; // [V, C]
  wpe: Float32Array; // [T, C]
  layers: LayerWeights[];
  ln_f_weight: Float32Array; // [C]
  ln_f_bias: Float32Array; // [C]
}

const LAYER_TENSORS: readonly [keyof LayerWeights, string, (C: number) => Shape][] = [
  ['ln_1_weight', 'ln_1.weight', (C) => [C]],
  ['ln_1_bias', 'ln_1.bias', (C) => [C]],
  ['c_attn_weight', 'attn.c_attn.weight', (C) => [C, 3 * C]],
  ['c_attn_bias', 'attn.c_attn.bias', (C) => [3 * C]],
  ['attn_c_proj_weight', 'attn.c_proj.weight', (C) => [C, C]],
  ['attn_c_proj_bias', 'attn.c_proj.bias', (C) => [C]],
  ['ln_2_weight', 'ln_2.weight', (C) => [C]],
  ['ln_2_bias', 'ln_2.bias', (C) => [C]],
  ['c_fc_weight', 'mlp.c_fc.weight', (C) => [C, 4 * C]],
  ['c_fc_bias', 'mlp.c_fc.bias', (C) => [4 * C]],
  ['mlp_c_proj_weight', 'mlp.c_proj.weight', (C) => [4 * C, C]],
  ['mlp_c_proj_bias', 'mlp.c_proj.bias', (C) => [C]],
];

/** Every tensor in file order: name, shape, and accessors into GptWeights. */
export function tensorLayout(config: GptConfig): { name: string; shape: Shape; get: (w: GptWeights) => Float32Array; set: (w: GptWeights, t: Float32Array) => void }[] {
  const C = config.n_embd;
  const out: ReturnType<typeof tensorLayout> = [
    { name: 'wte.weight', shape: [config.vocab_size, C], get: (w) => w.wte, set: (w, t) => (w.wte = t) },
    { name: 'wpe.weight', shape: [config.n_positions, C], get: (w) => w.wpe, set: (w, t) => (w.wpe = t) },
  ];
  for (let i = 0; i < config.n_layer; i++) {
    for (const [key, suffix, shape] of LAYER_TENSORS) {
      out.push({
        name: `h.${i}.${suffix}`,
        shape: shape(C),
        get: (w) => w.layers[i][key],
        set: (w, t) => (w.layers[i][key] = t),
      });
    }
  }
  out.push({ name: 'ln_f.weight', shape: [C], get: (w) => w.ln_f_weight, set: (w, t) => (w.ln_f_weight = t) });
  out.push({ name: 'ln_f.bias', shape: [C], get: (w) => w.ln_f_bias, set: (w, t) => (w.ln_f_bias = t) });
  return out;
}

function numel(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function emptyWeights(config: GptConfig): GptWeights {
  return {
    wte: new Float32Array(0),
    wpe: new Float32Array(0),
    layers: Array.from({ length: config.n_layer }, () => ({}) as LayerWeights),
    ln_f_weight: new Float32Array(0),
    ln_f_bias: new Float32Array(0),
  };
}

/** Serialises weights to safetensors bytes. */
export function encodeSafetensors(config: GptConfig, weights: GptWeights): Buffer {
  const layout = tensorLayout(config);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', architecture: 'gpt2' } };
  let offset = 0;
  for (const t of layout) {
    const data = t.get(weights);
    if (data.length !== numel(t.shape)) {
      throw new Error(`weights: tensor ${t.name} has ${data.length} values, shape [${t.shape.join(', ')}] needs ${numel(t.shape)}`);
    }
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let headerJson = JSON.stringify(header);
  // Pad so the tensor data starts 8-byte aligned, as the reference implementation does.
  headerJson += ' '.repeat((8 - ((8 + Buffer.byteLength(headerJson)) % 8)) % 8);
  const headerBytes = Buffer.from(headerJson, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const t of layout) {
    const data = t.get(weights);
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, pos);
    pos += data.byteLength;
  }
  return out;
}

type SafetensorsHeader = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;

/** Reads the JSON header from the first bytes of a safetensors file of `fileSize` bytes. */
function parseHeader(bytes: Uint8Array, fileSize: number, source: string): { header: SafetensorsHeader; dataStart: number } {
  if (bytes.length < 8) throw new Error(`${source}: file is ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > fileSize || 8 + headerLen > bytes.length) {
    throw new Error(`${source}: header length ${headerLen} does not fit in a ${fileSize}-byte file (truncated or not safetensors)`);
  }
  try {
    return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLen)).toString('utf8')), dataStart: 8 + headerLen };
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
}

/** Checks every tensor `config` needs is in the header with the right dtype, shape and extent; returns their data ranges. */
function checkHeader(config: GptConfig, header: SafetensorsHeader, dataStart: number, fileSize: number, source: string): [number, number][] {
  return tensorLayout(config).map((t) => {
    const entry = header[t.name];
    if (!entry) throw new Error(`${source}: tensor "${t.name}" is missing (config expects n_layer=${config.n_layer})`);
    if (entry.dtype !== 'F32') throw new Error(`${source}: tensor "${t.name}" has dtype ${entry.dtype}, expected F32`);
    if (entry.shape.length !== t.shape.length || entry.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(`${source}: tensor "${t.name}" has shape [${entry.shape.join(', ')}], config.json implies [${t.shape.join(', ')}]`);
    }
    const [begin, end] = entry.data_offsets;
    if (end - begin !== numel(t.shape) * 4 || dataStart + end > fileSize) {
      throw new Error(`${source}: tensor "${t.name}" data [${begin}, ${end}) is outside the file or the wrong size (truncated?)`);
    }
    return [dataStart + begin, dataStart + end];
  });
}

/**
 * Parses safetensors bytes into weights for `config`. Every error names `source` and the
 * tensor at fault, so a config/weights mismatch is reported rather than mis-read.
 */
export function decodeSafetensors(config: GptConfig, bytes: Uint8Array, source = 'model.safetensors'): GptWeights {
  const { header, dataStart } = parseHeader(bytes, bytes.length, source);
  const ranges = checkHeader(config, header, dataStart, bytes.length, source);
  const weights = emptyWeights(config);
  tensorLayout(config).forEach((t, i) => {
    // Copy so the tensor is 4-byte aligned whatever the header padding was.
    const copy = new Uint8Array(ranges[i][1] - ranges[i][0]);
    copy.set(bytes.subarray(ranges[i][0], ranges[i][1]));
    t.set(weights, new Float32Array(copy.buffer));
  });
  return weights;
}

/**
 * Checks a weights file against `config` reading only its header (cheap for any model size):
 * the same errors as readWeights for missing tensors, wrong shapes and truncation.
 */
export function checkWeightsFile(file: string, config: GptConfig): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new Error(`${file}: cannot read weights (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const lenBytes = Buffer.alloc(Math.min(8, size));
    fs.readSync(fd, lenBytes, 0, lenBytes.length, 0);
    const headerLen = lenBytes.length === 8 ? Number(lenBytes.readBigUInt64LE(0)) : 0;
    const bytes = Buffer.alloc(Math.min(size, 8 + Math.min(headerLen, 100 << 20)));
    fs.readSync(fd, bytes, 0, bytes.length, 0);
    const { header, dataStart } = parseHeader(bytes, size, file);
    checkHeader(config, header, dataStart, size, file);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeWeights(file: string, config: GptConfig, weights: GptWeights): void {
  fs.writeFileSync(file, encodeSafetensors(config, weights));
}

export function readWeights(file: string, config: GptConfig): GptWeights {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read weights (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeSafetensors(config, bytes, file);
}
