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
    const q = new Uint8Array(K * N);
    for (let i = 0; i < q.length; i++) q[i] = (i * 2654435761) % 255;
    const [xq, xScale, xZero] = g.op('DynamicQuantizeLinear', [x], {}, 3);
    const acc = g.op1('MatMulInteger', [xq, g.tensor('Wq', DataType.UINT8, [K, N], q), xZero, g.tensor('Wz', DataType.UINT8, [], Uint8Array.of(128))]);
    y = g.op1('Mul', [g.op1('Cast', [acc], { to: DataType.FLOAT }), g.op1('Mul', [xScale, g.floats('Ws', [N], new Float32Array(N).fill(0.01))])]);
  }
  g.rename(y, 'Y');
  return g.encode({ name: int8 ? 'matmul_int8' : 'matmul_fp32', opset: 17 });
}
