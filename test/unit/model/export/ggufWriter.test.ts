/**
 * The GGUF writer byte for byte: header, each metadata value type, tensor infos and data alignment,
 * Q8_0 blocks (fp16 scale, round half away from zero) and the fp16 conversion.
 */
import { strict as assert } from 'node:assert';
import { encodeGguf, fp16Bits, fp16ToNumber, kv, quantizeQ8_0, type GgufTensor } from '../../../../src/model/export/ggufWriter';
import { readGguf } from '../fixtures/ggufReader';

const hex = (b: Buffer) => b.toString('hex');
const HEADER = (tensors: number, kvs: number) => '47475546' + '03000000' + le64(tensors) + le64(kvs);
function le64(n: number): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return hex(b);
}

describe('model/export/ggufWriter', () => {
  it('an empty file is the magic, version 3, two zero counts, padded to 32 bytes', () => {
    assert.equal(hex(encodeGguf([], [])), HEADER(0, 0) + '00'.repeat(8));
  });

  it('encodes each metadata value type exactly', () => {
    const cases: [Parameters<typeof encodeGguf>[0][number], string][] = [
      [['a', kv.u32(7)], le64(1) + '61' + '04000000' + '07000000'],
      [['a', kv.i32(-2)], le64(1) + '61' + '05000000' + 'feffffff'],
      [['a', kv.f32(1.5)], le64(1) + '61' + '06000000' + '0000c03f'],
      [['a', kv.bool(true)], le64(1) + '61' + '07000000' + '01'],
      [['a', kv.u64(2 ** 40)], le64(1) + '61' + '0a000000' + le64(2 ** 40)],
      [['name', kv.string('hé')], le64(4) + hex(Buffer.from('name')) + '08000000' + le64(3) + '68c3a9'],
      [['a', kv.strings(['x', 'yz'])], le64(1) + '61' + '09000000' + '08000000' + le64(2) + le64(1) + '78' + le64(2) + '797a'],
      [['a', kv.i32s([-1, 2])], le64(1) + '61' + '09000000' + '05000000' + le64(2) + 'ffffffff' + '02000000'],
    ];
    for (const [entry, expected] of cases) {
      const bytes = encodeGguf([entry], []);
      const body = hex(bytes.subarray(24));
      assert.equal(body.slice(0, expected.length), expected, entry[0]);
      assert.equal(body.slice(expected.length), '0'.repeat(body.length - expected.length), 'zero padding after the header');
      assert.equal(bytes.length % 32, 0);
    }
  });

  it('places each tensor at an offset that is a multiple of 32, data padded between', () => {
    const tensors: GgufTensor[] = [
      { name: 'x', ne: [3], type: 'F32', data: Float32Array.of(1, 2, 3) },
      { name: 'y', ne: [2, 1], type: 'F32', data: Float32Array.of(4, 5) },
    ];
    const bytes = encodeGguf([['k', kv.u32(1)]], tensors);
    const file = readGguf(bytes);
    assert.deepEqual(file.tensors, [
      { name: 'x', ne: [3], type: 0, offset: 0 },
      { name: 'y', ne: [2, 1], type: 0, offset: 32 },
    ]);
    // header 24 + kv (8 + 1 + 4 + 4) + infos (8 + 1 + 4 + 8 + 4 + 8) + (8 + 1 + 4 + 16 + 4 + 8) = 115 -> 128
    assert.equal(file.dataStart, 128);
    const f = (...v: number[]) => hex(Buffer.from(Float32Array.from(v).buffer));
    assert.equal(hex(bytes.subarray(128)), f(1, 2, 3) + '00'.repeat(20) + f(4, 5) + '00'.repeat(24));
  });

  it('writes Q8_0 blocks as ggml does: fp16 scale max|x|/127, then round(x / scale) half away from zero', () => {
    const x = new Float32Array(64);
    x.set([-63.5, 0.25, -0.25, 0.75, -1.25, 63.5, 0.1]); // scale 0.5: q = -127, 1 (0.5 up), -1, 2 (1.5 up), -3 (-2.5 away), 127, 0
    // second block all zero: scale 0, q 0
    const bytes = encodeGguf([], [{ name: 'w', ne: [32, 2], type: 'Q8_0', data: x }]);
    const data = bytes.subarray(readGguf(bytes).dataStart);
    const block1 = '0038' + '81' + '01' + 'ff' + '02' + 'fd' + '7f' + '00' + '00'.repeat(25);
    const block2 = '0000' + '00'.repeat(32);
    assert.equal(hex(data), block1 + block2 + '00'.repeat(28)); // 68 bytes + padding to 96
    assert.equal(readGguf(bytes).tensors[0].type, 8);
  });

  it('Q8_0 round trip is within half a step plus the fp16 rounding of the scale (127 x 2^-11 steps)', () => {
    const x = Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 0.37) * (1 + (i >> 5)));
    const q = quantizeQ8_0(x);
    for (let b = 0; b < 3; b++) {
      const d = fp16ToNumber(q.readUInt16LE(b * 34));
      for (let j = 0; j < 32; j++) assert.ok(Math.abs(q.readInt8(b * 34 + 2 + j) * d - x[b * 32 + j]) <= d * (0.5 + 127 / 2048), `block ${b} value ${j}`);
    }
  });

  it('converts float32 to fp16 with round-to-nearest-even, subnormals and overflow', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [0.1, 0x2e66], [65504, 0x7bff], [65520, 0x7c00],
      [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [Infinity, 0x7c00],
    ];
    for (const [x, bits] of cases) assert.equal(fp16Bits(x), bits, `fp16(${x})`);
    assert.equal(fp16ToNumber(0x2e66), 0.0999755859375);
  });

  it('rejects what llama.cpp could not read, naming the tensor or key', () => {
    assert.throws(() => encodeGguf([], [{ name: 'w', ne: [30, 2], type: 'Q8_0', data: new Float32Array(60) }]), /tensor "w" has rows of 30 values; Q8_0 needs a multiple of 32/);
    assert.throws(() => encodeGguf([], [{ name: 'w', ne: [4], type: 'F32', data: new Float32Array(3) }]), /tensor "w" has 3 values, ne \[4\] needs 4/);
    assert.throws(() => encodeGguf([['a', kv.u32(1)], ['a', kv.u32(2)]], []), /metadata key "a" is given twice/);
    assert.throws(() => encodeGguf([['a', kv.u32(-1)]], []), /metadata "a" must be an integer in \[0, 4294967295\], got -1/);
    assert.throws(() => encodeGguf([], [{ name: 'w', ne: [1], type: 'F32', data: new Float32Array(1) }, { name: 'w', ne: [1], type: 'F32', data: new Float32Array(1) }]), /tensor "w" is given twice/);
  });
});
