/**
 * GGUF v3 files (the format llama.cpp, Ollama and LM Studio load), written from float32 tensors.
 * Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md. Everything is little-endian:
 *
 *   "GGUF"  u32 version=3  u64 tensor_count  u64 kv_count
 *   kv_count x  (string key, u32 value_type, value)
 *   tensor_count x  (string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset)
 *   zero padding to `alignment`, then each tensor's data at its offset (a multiple of `alignment`)
 *
 * A string is u64 byte length + UTF-8 bytes; an array is u32 item type + u64 count + items.
 * Dimensions are in ggml order: ne[0] is the fastest-varying (a row-major [rows, cols] matrix has
 * ne = [cols, rows]). Tensor types written here: F32, and Q8_0 (blocks of 32 values along ne[0]:
 * an fp16 scale d = max|x| / 127, then 32 int8 q = round(x / d), 34 bytes a block).
 */
import * as fs from 'node:fs';

const GGUF_MAGIC = 'GGUF';
const GGUF_VERSION = 3;
/** general.alignment's default: tensor data offsets are multiples of it. */
const GGUF_DEFAULT_ALIGNMENT = 32;

/** gguf_type: the value types of metadata. */
const GGUF_VALUE_TYPE = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

/** ggml_type of the tensor types this writer produces. */
const GGML_TYPE = { F32: 0, Q8_0: 8 } as const;
export type TensorType = keyof typeof GGML_TYPE;

/** Values per Q8_0 block and bytes per block (fp16 scale + 32 int8). */
export const Q8_0_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;

type ScalarType = 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64';
type MetadataValue =
  | { type: ScalarType; value: number | boolean | string }
  | { type: 'array'; itemType: 'string'; values: readonly string[] }
  | { type: 'array'; itemType: 'i32' | 'u32' | 'f32'; values: ArrayLike<number> };

export type Metadata = [key: string, value: MetadataValue][];

export const kv = {
  u32: (value: number): MetadataValue => ({ type: 'u32', value }),
  i32: (value: number): MetadataValue => ({ type: 'i32', value }),
  u64: (value: number): MetadataValue => ({ type: 'u64', value }),
  f32: (value: number): MetadataValue => ({ type: 'f32', value }),
  bool: (value: boolean): MetadataValue => ({ type: 'bool', value }),
  string: (value: string): MetadataValue => ({ type: 'string', value }),
  strings: (values: readonly string[]): MetadataValue => ({ type: 'array', itemType: 'string', values }),
  i32s: (values: ArrayLike<number>): MetadataValue => ({ type: 'array', itemType: 'i32', values }),
};

export interface GgufTensor {
  name: string;
  /** ggml order: ne[0] first (the length of a row). */
  ne: readonly number[];
  type: TensorType;
  /** Float32 values in row-major order of the reversed ne (ne[0] varies fastest). */
  data: Float32Array;
}

/** Appends little-endian values to a growing list of buffers. */
class ByteSink {
  readonly parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
}

function checkInt(key: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`gguf: metadata "${key}" must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

function writeValue(sink: ByteSink, key: string, v: MetadataValue): void {
  sink.u32(GGUF_VALUE_TYPE[v.type]);
  if (v.type === 'array') {
    sink.u32(GGUF_VALUE_TYPE[v.itemType]);
    sink.u64(v.values.length);
    if (v.itemType === 'string') {
      for (const s of v.values) sink.string(s);
      return;
    }
    const nums = v.values;
    const b = Buffer.alloc(4 * nums.length);
    for (let i = 0; i < nums.length; i++) {
      if (v.itemType === 'f32') b.writeFloatLE(nums[i], 4 * i);
      else if (v.itemType === 'i32') b.writeInt32LE(checkInt(key, nums[i], -(2 ** 31), 2 ** 31 - 1), 4 * i);
      else b.writeUInt32LE(checkInt(key, nums[i], 0, 2 ** 32 - 1), 4 * i);
    }
    sink.push(b);
    return;
  }
  const value = v.value;
  switch (v.type) {
    case 'string':
      if (typeof value !== 'string') throw new Error(`gguf: metadata "${key}" must be a string`);
      return sink.string(value);
    case 'bool':
      if (typeof value !== 'boolean') throw new Error(`gguf: metadata "${key}" must be a boolean`);
      return sink.push(Buffer.from([value ? 1 : 0]));
    case 'u32':
      return sink.u32(checkInt(key, value as number, 0, 2 ** 32 - 1));
    case 'i32':
      return sink.i32(checkInt(key, value as number, -(2 ** 31), 2 ** 31 - 1));
    case 'u64':
      return sink.u64(checkInt(key, value as number, 0, Number.MAX_SAFE_INTEGER));
    case 'f32':
      return sink.f32(value as number);
  }
}

/** Bytes a tensor's data takes. */
function tensorBytes(t: Pick<GgufTensor, 'ne' | 'type' | 'name'>): number {
  const n = t.ne.reduce((a, b) => a * b, 1);
  if (t.type === 'F32') return 4 * n;
  if (t.ne[0] % Q8_0_BLOCK !== 0) throw new Error(`gguf: tensor "${t.name}" has rows of ${t.ne[0]} values; Q8_0 needs a multiple of ${Q8_0_BLOCK} (write it as F32)`);
  return (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** float32 -> IEEE half bits, round to nearest even (as ggml's GGML_FP32_TO_FP16 on x86 F16C). */
export function fp16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    // subnormal half (or zero): shift the mantissa with its implicit bit
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0));
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++; // may carry into the exponent: still right
  return sign | half;
}

/** IEEE half bits -> number. */
export function fp16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Q8_0 blocks of `x` (length a multiple of 32), as ggml's quantize_row_q8_0_ref: d = amax / 127 in
 * float32, stored as fp16; q = roundf(x * (1/d)) (half away from zero), computed with the unrounded d.
 */
export function quantizeQ8_0(x: Float32Array): Buffer {
  if (x.length % Q8_0_BLOCK !== 0) throw new Error(`gguf: Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${x.length}`);
  const blocks = x.length / Q8_0_BLOCK;
  const out = Buffer.alloc(blocks * Q8_0_BLOCK_BYTES);
  const f = Math.fround;
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(x[base + j]));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    const o = b * Q8_0_BLOCK_BYTES;
    out.writeUInt16LE(fp16Bits(d), o);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const v = f(x[base + j] * id);
      out.writeInt8(Math.sign(v) * Math.round(Math.abs(v)), o + 2 + j);
    }
  }
  return out;
}

function tensorData(t: GgufTensor): Buffer {
  const n = t.ne.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new Error(`gguf: tensor "${t.name}" has ${t.data.length} values, ne [${t.ne.join(', ')}] needs ${n}`);
  if (t.type === 'Q8_0') {
    tensorBytes(t); // checks the row length
    return quantizeQ8_0(t.data);
  }
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Header, metadata and tensor infos, padded to the alignment: everything before the tensor data. */
function headerBytes(metadata: Metadata, tensors: readonly GgufTensor[], alignment: number): { head: Buffer; offsets: number[]; dataBytes: number } {
  const seen = new Set<string>();
  for (const [key] of metadata) {
    if (seen.has(key)) throw new Error(`gguf: metadata key "${key}" is given twice`);
    seen.add(key);
  }
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`gguf: tensor "${t.name}" is given twice`);
    names.add(t.name);
  }
  const sink = new ByteSink();
  sink.push(Buffer.from(GGUF_MAGIC, 'ascii'));
  sink.u32(GGUF_VERSION);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [key, value] of metadata) {
    sink.string(key);
    writeValue(sink, key, value);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    offsets.push(offset);
    sink.string(t.name);
    sink.u32(t.ne.length);
    for (const d of t.ne) sink.u64(d);
    sink.u32(GGML_TYPE[t.type]);
    sink.u64(offset);
    offset = alignUp(offset + tensorBytes(t), alignment);
  }
  sink.push(Buffer.alloc(alignUp(sink.length, alignment) - sink.length));
  return { head: Buffer.concat(sink.parts), offsets, dataBytes: offset };
}

/** The parts of a GGUF file in order; tensors are converted one at a time (a large model is never held twice). */
function* ggufParts(metadata: Metadata, tensors: readonly GgufTensor[], alignment = GGUF_DEFAULT_ALIGNMENT): Generator<Buffer> {
  if (metadata.some(([k]) => k === 'general.alignment')) throw new Error('gguf: general.alignment is set by the writer');
  const meta: Metadata = alignment === GGUF_DEFAULT_ALIGNMENT ? metadata : [...metadata, ['general.alignment', kv.u32(alignment)]];
  const { head, offsets } = headerBytes(meta, tensors, alignment);
  yield head;
  let at = 0;
  for (let i = 0; i < tensors.length; i++) {
    if (offsets[i] > at) {
      yield Buffer.alloc(offsets[i] - at);
      at = offsets[i];
    }
    const data = tensorData(tensors[i]);
    yield data;
    at += data.length;
  }
  const end = alignUp(at, alignment);
  if (end > at) yield Buffer.alloc(end - at);
}

/** A whole GGUF file in memory (tests, small models). */
export function encodeGguf(metadata: Metadata, tensors: readonly GgufTensor[], alignment = GGUF_DEFAULT_ALIGNMENT): Buffer {
  return Buffer.concat([...ggufParts(metadata, tensors, alignment)]);
}

/** Writes a GGUF file part by part; returns its size in bytes. */
export function writeGguf(file: string, metadata: Metadata, tensors: readonly GgufTensor[], alignment = GGUF_DEFAULT_ALIGNMENT): number {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    for (const part of ggufParts(metadata, tensors, alignment)) {
      fs.writeSync(fd, part);
      bytes += part.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}
