/**
 * One-off experiment (not part of \`npm run bench\`): int8 weight layouts on onnxruntime-node, 1 thread.
 * \`npx tsx bench/experiments/int8Layouts.ts\` times one-node graphs with the shapes of a decode step
 * (M = 1: c_fc 768x3072, the LM head 768x50257) and of a 128-token prefill chunk, as fp32 MatMul, as
 * our export's U8U8 MatMulInteger (uint8 weights, zero point 128) and as U8S8 (int8 weights, zero
 * point 0, the layout ORT's VNNI kernels take). Prints best/median wall and median CPU time.
 */
import * as ort from 'onnxruntime-node';
import { DataType, GraphBuilder } from '../../src/model/export/onnxBuilder';
function graph(M: number, K: number, N: number, kind: 'fp32' | 'u8u8' | 'u8s8'): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('X', DataType.FLOAT, [M, K]);
  g.output('Y', DataType.FLOAT, [M, N]);
  let y: string;
  if (kind === 'fp32') y = g.op1('MatMul', [x, g.floats('W', [K, N], new Float32Array(K * N).map((_, i) => ((i % 101) - 50) / 500))]);
  else {
    const [xq, xs, xz] = g.op('DynamicQuantizeLinear', [x], {}, 3);
    const w = kind === 'u8u8' ? g.tensor('Wq', DataType.UINT8, [K, N], new Uint8Array(K * N).map((_, i) => 1 + (i % 254))) : g.tensor('Wq', DataType.INT8, [K, N], new Int8Array(K * N).map((_, i) => (i % 254) - 127));
    const wz = kind === 'u8u8' ? g.tensor('Wz', DataType.UINT8, [], Uint8Array.of(128)) : g.tensor('Wz', DataType.INT8, [], Int8Array.of(0));
    const acc = g.op1('MatMulInteger', [xq, w, xz, wz]);
    y = g.op1('Mul', [g.op1('Cast', [acc], { to: DataType.FLOAT }), g.op1('Mul', [xs, g.floats('Ws', [N], new Float32Array(N).fill(0.01))])]);
  }
  g.rename(y, 'Y');
  return g.encode({ name: kind, opset: 17 });
}
async function main(): Promise<void> {
  for (const [M, K, N] of [[1, 768, 3072], [1, 768, 50257], [128, 768, 3072]]) {
    for (const kind of ['fp32', 'u8u8', 'u8s8'] as const) {
      const s = await ort.InferenceSession.create(graph(M, K, N, kind), { intraOpNumThreads: 1 });
      const X = new ort.Tensor('float32', new Float32Array(M * K).map((_, i) => ((i % 13) - 6) / 7), [M, K]);
      const ts: number[] = []; const cs: number[] = [];
      for (let r = 0; r < 40; r++) { const c0 = process.cpuUsage(); const t = performance.now(); await s.run({ X }); ts.push(performance.now() - t); const c = process.cpuUsage(c0); cs.push((c.user + c.system) / 1000); }
      ts.sort((a, b) => a - b); cs.sort((a, b) => a - b);
      const bytes = K * N * (kind === 'fp32' ? 4 : 1);
      console.log(`${M}x${K}x${N} ${kind}: best ${ts[0].toFixed(2)} ms, median ${ts[20].toFixed(2)} ms, cpu median ${cs[20].toFixed(2)} ms; weights ${(bytes / 1e6).toFixed(1)} MB -> ${(bytes / ts[0] / 1e6).toFixed(1)} GB/s best; ${(2 * M * K * N / ts[0] / 1e6).toFixed(1)} GFLOP/s best`);
      await s.release();
    }
  }
}
main();
