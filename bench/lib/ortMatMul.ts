/**
 * One-node ONNX graphs that measure the runtime's own matrix-multiply throughput, the reference for
 * what ONNX Runtime (node or WASM) can do on this machine: fp32 MatMul, and the int8 pattern our
 * quantized graphs use (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul).
 */
import { DataType, GraphBuilder } from '../../src/model/export/onnxBuilder';

export function matMulGraph(M: number, K: number, N: number, int8: boolean): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('X', DataType.FLOAT, [M, K]);
  g.output('Y', DataType.FLOAT, [M, N]);
  const w = new Float32Array(K * N);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  let y: string;
  if (!int8) {
    y = g.op1('MatMul', [x, g.floats('W', [K, N], w)]);
  } else {
    // 7-bit int8 weights, zero point 0: the layout src/model/export/quantize.ts writes.
    const q = new Int8Array(K * N);
    for (let i = 0; i < q.length; i++) q[i] = ((i * 2654435761) % 127) - 63;
    const [xq, xScale, xZero] = g.op('DynamicQuantizeLinear', [x], {}, 3);
    const acc = g.op1('MatMulInteger', [xq, g.tensor('Wq', DataType.INT8, [K, N], q), xZero, g.tensor('Wz', DataType.INT8, [], Int8Array.of(0))]);
    y = g.op1('Mul', [g.op1('Cast', [acc], { to: DataType.FLOAT }), g.op1('Mul', [xScale, g.floats('Ws', [N], new Float32Array(N).fill(0.01))])]);
  }
  g.rename(y, 'Y');
  return g.encode({ name: int8 ? 'matmul_int8' : 'matmul_fp32', opset: 17 });
}
