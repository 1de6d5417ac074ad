/**
 * The GPT-2 forward pass as an ONNX graph, op for op the math of src/model/gpt.ts, batched and
 * with the KV cache as graph inputs/outputs in the names transformers.js uses.
 *
 * Shapes: B = batch_size, T = sequence_length (new tokens), P = past_sequence_length,
 * S = P + T = total_sequence_length, C = n_embd, H = n_head, D = C / H, V = vocab_size.
 *
 * Inputs:  input_ids [B, T] int64, attention_mask [B, S] int64 (0 = padding), position_ids [B, T] int64,
 *          past_key_values.{i}.key / .value [B, H, P, D] float32,
 *          num_logits_to_keep [] int64: logits for the last K positions only (0 = all; transformers.js
 *          and our engine pass 1 while generating, so the LM head, the largest matmul, runs on one row)
 * Outputs: logits [B, K, V], present.{i}.key / .value [B, H, S, D],
 *          new_key_values.{i}.key / .value [B, H, T, D]: the keys/values of the new tokens only, so a
 *          caller that keeps its own cache can fetch these instead of copying the whole `present`
 *          out of the runtime every step (src/engine/ownedKvCache.ts; transformers.js ignores them),
 *          and with `attentions`: decoder_attentions.{i} [B, H, T, S] (softmax probabilities). Every graph
 *          names those tensors so, whether or not they are outputs.
 */
import { GptConfig, parameterCount } from '../config';
import { GptWeights } from '../weights';
import { DataType, GraphBuilder, f32 } from './onnxBuilder';
import { DEFAULT_WEIGHT_LEVELS, WeightLevels, quantizeColumns, transpose } from './quantize';

/** ONNX opset: 17 is the first with LayerNormalization; ORT 1.30 (node and wasm) runs up to 22+. */
export const OPSET = 17;

interface GraphOptions {
  /** Add decoder_attentions.{i} outputs (for the attention panel). */
  attentions?: boolean;
  /** int8 dynamic quantization of every MatMul weight (and the tied embedding / LM head). */
  quantize?: boolean;
  /** Weight range when quantizing (quantize.ts): 63 (7-bit, exact on every CPU, the default) or 127. */
  weightLevels?: WeightLevels;
  /**
   * Activation scales when quantizing: one per token ('row', the default: a prompt gets the same
   * logits however it is split into runs) or one per run ('tensor', ORT's quantize_dynamic).
   */
  activationScale?: ActivationScale;
}

/** Score given to masked keys: the most negative float32, as Hugging Face uses (exp() of it is 0). */
const MASKED_SCORE = -3.4028234663852886e38;

export function buildGptGraph(
  config: GptConfig,
  weights: GptWeights,
  { attentions = false, quantize = false, weightLevels = DEFAULT_WEIGHT_LEVELS, activationScale = 'row' }: GraphOptions = {},
): Uint8Array {
  const { n_embd: C, n_head: H, n_layer: L, vocab_size: V } = config;
  const D = C / H;
  // A protobuf message is limited to 2 GiB; bigger models would need ONNX external data, which we do not write.
  if (!quantize && parameterCount(config) * 4 > 2 ** 31 - 2 ** 24) {
    throw new Error(`onnx: ${(parameterCount(config) / 1e6).toFixed(0)}M parameters do not fit in one fp32 .onnx file (2 GiB protobuf limit)`);
  }
  const g = new GraphBuilder();

  // ---- inputs / outputs
  const inputIds = g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  for (let i = 0; i < L; i++) {
    for (const kv of ['key', 'value']) {
      g.input(`past_key_values.${i}.${kv}`, DataType.FLOAT, ['batch_size', H, 'past_sequence_length', D]);
    }
  }
  const logitsToKeep = g.input('num_logits_to_keep', DataType.INT64, []);
  g.output('logits', DataType.FLOAT, ['batch_size', 'num_logits', V]);
  for (let i = 0; i < L; i++) {
    for (const kv of ['key', 'value']) {
      g.output(`present.${i}.${kv}`, DataType.FLOAT, ['batch_size', H, 'total_sequence_length', D]);
    }
  }
  for (let i = 0; i < L; i++) {
    for (const kv of ['key', 'value']) g.output(`new_key_values.${i}.${kv}`, DataType.FLOAT, ['batch_size', H, 'sequence_length', D]);
  }
  if (attentions) {
    for (let i = 0; i < L; i++) g.output(`decoder_attentions.${i}`, DataType.FLOAT, ['batch_size', H, 'sequence_length', 'total_sequence_length']);
  }

  // ---- shared constants
  const axes12 = g.int64s('axes_1_2', [1, 2]);
  const axis1 = g.int64s('axes_1', [1]);
  const one = g.int64s('one', [1], []);
  const zero = g.int64s('zero', [0], []);
  const splitQkv = g.int64s('split_qkv', [C, C, C]);
  const headsShape = g.int64s('shape_heads', [0, 0, H, D]); // [B, T, C] -> [B, T, H, D] (0 = keep dim)
  const mergeShape = g.int64s('shape_merge', [0, 0, C]); // [B, T, H, D] -> [B, T, C]
  const attnScale = g.scalar('attn_scale', 1 / Math.sqrt(D));
  const maskedScore = g.scalar('masked_score', MASKED_SCORE);

  // The [B, T] rows every linear of the layers quantizes: made once, when the first one needs them.
  let layerRows: TokenRows | undefined;
  // y = x W + b, in fp32 or through int8 dynamic quantization.
  const linear = (x: string, W: Float32Array, b: Float32Array | null, IN: number, OUT: number, name: string): string => {
    let y: string;
    if (!quantize) {
      y = g.op1('MatMul', [x, g.floats(`${name}.weight`, [IN, OUT], W)]);
    } else {
      const qw = quantizeColumns(W, IN, OUT, weightLevels);
      y = quantizedMatMul(g, activationScale, x, g.tensor(`${name}.weight_quantized`, DataType.INT8, [IN, OUT], qw.q), g.floats(`${name}.weight_scale`, [OUT], qw.scale), IN, OUT, () => (layerRows ??= tokenRows(g, inputIds)));
    }
    return b ? g.op1('Add', [y, g.floats(`${name}.bias`, [OUT], b)]) : y;
  };
  const layerNorm = (x: string, w: Float32Array, b: Float32Array, name: string): string =>
    g.op1('LayerNormalization', [x, g.floats(`${name}.weight`, [C], w), g.floats(`${name}.bias`, [C], b)], {
      axis: -1,
      epsilon: f32(config.layer_norm_epsilon),
    });

  // ---- embeddings: x = wte[input_ids] + wpe[position_ids]                 // [B, T, C]
  let tokEmb: string;
  let lmHead: (x: string) => string;
  if (!quantize) {
    const wte = g.floats('wte.weight', [V, C], weights.wte);
    tokEmb = g.op1('Gather', [wte, inputIds], { axis: 0 });
    // logits = x wte^T: Gemm reads wte transposed in place (transB), so the tied weight is stored once.
    lmHead = (x) => {
      const flat = g.op1('Reshape', [x, g.int64s('shape_rows', [-1, C])]); // [B*T, C]
      const rows = g.op1('Gemm', [flat, wte], { transB: 1 }); // [B*K, V]
      const outShape = g.op1('Concat', [g.op1('Shape', [x], { end: 2 }), g.int64s('vocab', [V])], { axis: 0 });
      return g.op1('Reshape', [rows, outShape]); // [B, K, V]
    };
  } else {
    // One quantized copy of the tied weight, stored as the LM head wants it: wte^T [C, V], one scale per token.
    const qw = quantizeColumns(transpose(weights.wte, V, C), C, V, weightLevels);
    const wteQ = g.tensor('wte.weight_quantized_t', DataType.INT8, [C, V], qw.q);
    const wteScale = g.floats('wte.weight_scale', [V], qw.scale);
    const cols = g.op1('Gather', [wteQ, inputIds], { axis: 1 }); // [C, B, T] int8
    const rows = g.op1('Cast', [g.op1('Transpose', [cols], { perm: [1, 2, 0] })], { to: DataType.FLOAT }); // [B, T, C]
    const scale = g.op1('Unsqueeze', [g.op1('Gather', [wteScale, inputIds], { axis: 0 }), g.shared('axes_last', (n) => g.int64s(n, [-1]))]); // [B, T, 1]
    tokEmb = g.op1('Mul', [rows, scale]);
    lmHead = (x) => quantizedMatMul(g, activationScale, x, wteQ, wteScale, C, V, () => tokenRows(g, x)); // [B, K] rows
  }
  const posEmb = g.op1('Gather', [g.floats('wpe.weight', [config.n_positions, C], weights.wpe), positionIds], { axis: 0 });
  let x = g.op1('Add', [tokEmb, posEmb]);

  // ---- mask, shared by all layers: key s is visible to new token t iff s <= P + t and attention_mask[b, s] = 1
  const T = g.op1('Gather', [g.op1('Shape', [inputIds]), one], { axis: 0 }); // scalar
  const S = g.op1('Gather', [g.op1('Shape', [attentionMask]), one], { axis: 0 }); // scalar
  const P = g.op1('Sub', [S, T]);
  const queryPos = g.op1('Unsqueeze', [g.op1('Add', [g.op1('Range', [zero, T, one]), P]), axis1]); // [T, 1] absolute positions
  const keyPos = g.op1('Range', [zero, S, one]); // [S]
  const causal = g.op1('LessOrEqual', [keyPos, queryPos]); // [T, S]
  const notPadding = g.op1('Unsqueeze', [g.op1('Cast', [attentionMask], { to: DataType.BOOL }), axes12]); // [B, 1, 1, S]
  const visible = g.op1('And', [causal, notPadding], {}, 'mask'); // [B, 1, T, S]
  // Where the past's keys end and the new tokens' begin on the key axis, for splitting the probabilities.
  const axis0 = g.int64s('axes_0', [0]);
  const toAxis = (scalar: string) => g.op1('Unsqueeze', [scalar, axis0]);
  const zeroStart = g.int64s('zero_1d', [0]);
  const pastEnd = toAxis(P);
  const totalEnd = toAxis(S);
  const lastAxis = g.shared('axes_last', (n) => g.int64s(n, [-1]));

  // [B, T, C] -> [B, H, T, D]
  const splitHeads = (t: string): string => g.op1('Transpose', [g.op1('Reshape', [t, headsShape])], { perm: [0, 2, 1, 3] });

  for (let i = 0; i < L; i++) {
    const w = weights.layers[i];
    const p = `h.${i}`;
    // x = x + attn(ln_1(x))
    const h1 = layerNorm(x, w.ln_1_weight, w.ln_1_bias, `${p}.ln_1`);
    const qkv = linear(h1, w.c_attn_weight, w.c_attn_bias, C, 3 * C, `${p}.attn.c_attn`); // [B, T, 3C]
    const [q, k, v] = g.op('Split', [qkv, splitQkv], { axis: -1 }, 3).map(splitHeads); // [B, H, T, D] each
    g.rename(k, `new_key_values.${i}.key`);
    g.rename(v, `new_key_values.${i}.value`);
    const pastKey = `past_key_values.${i}.key`;
    const pastValue = `past_key_values.${i}.value`;
    // `present.*` (past + new) for callers that keep the runtime's cache (transformers.js). Attention
    // reads past and new apart, so a graph without these outputs (the engine's, src/model/decodeGraph.ts)
    // copies no cache: ONNX Runtime runs every node of a graph whatever is fetched, and these two Concats
    // were half of a decode step's kernel time at 256 tokens (bench/experiments/decodeProfile.ts).
    g.rename(g.op1('Concat', [pastKey, `new_key_values.${i}.key`], { axis: 2 }), `present.${i}.key`); // [B, H, S, D]
    g.rename(g.op1('Concat', [pastValue, `new_key_values.${i}.value`], { axis: 2 }), `present.${i}.value`); // [B, H, S, D]
    const keysT = (keys: string) => g.op1('Transpose', [keys], { perm: [0, 1, 3, 2] }); // [B, H, D, *]
    const scoresPast = g.op1('MatMul', [q, keysT(pastKey)]); // [B, H, T, P]
    const scoresNew = g.op1('MatMul', [q, keysT(`new_key_values.${i}.key`)]); // [B, H, T, T]
    const scores = g.op1('Mul', [g.op1('Concat', [scoresPast, scoresNew], { axis: -1 }), attnScale]); // [B, H, T, S]
    const probs = g.op1('Softmax', [g.op1('Where', [visible, scores, maskedScore])], { axis: -1 }); // [B, H, T, S]
    // Named in every graph, an output only with `attentions`: the worker derives the attention graph by
    // listing these tensors as outputs (src/model/attentionGraph.ts), so no second copy of the weights ships.
    g.rename(probs, `decoder_attentions.${i}`);
    const probsPast = g.op1('Slice', [`decoder_attentions.${i}`, zeroStart, pastEnd, lastAxis]); // [B, H, T, P]
    const probsNew = g.op1('Slice', [`decoder_attentions.${i}`, pastEnd, totalEnd, lastAxis]); // [B, H, T, T]
    const att = g.op1('Add', [g.op1('MatMul', [probsPast, pastValue]), g.op1('MatMul', [probsNew, `new_key_values.${i}.value`])]); // [B, H, T, D]
    const merged = g.op1('Reshape', [g.op1('Transpose', [att], { perm: [0, 2, 1, 3] }), mergeShape]); // [B, T, C]
    x = g.op1('Add', [x, linear(merged, w.attn_c_proj_weight, w.attn_c_proj_bias, C, C, `${p}.attn.c_proj`)]);
    // x = x + mlp(ln_2(x))
    const h2 = layerNorm(x, w.ln_2_weight, w.ln_2_bias, `${p}.ln_2`);
    const fc = linear(h2, w.c_fc_weight, w.c_fc_bias, C, 4 * C, `${p}.mlp.c_fc`); // [B, T, 4C]
    x = g.op1('Add', [x, linear(geluTanh(g, fc), w.mlp_c_proj_weight, w.mlp_c_proj_bias, 4 * C, C, `${p}.mlp.c_proj`)]);
  }

  // Only the last K positions go through ln_f and the LM head (both act per position, so slicing
  // first changes nothing for the rows kept). K = num_logits_to_keep, 0 or more than T meaning all T.
  const keepAll = g.op1('Or', [g.op1('Equal', [logitsToKeep, zero]), g.op1('Greater', [logitsToKeep, T])]);
  const firstKept = g.op1('Where', [keepAll, zero, g.op1('Sub', [T, logitsToKeep])]);
  const kept = g.op1('Slice', [x, toAxis(firstKept), toAxis(T), axis1]); // [B, K, C]
  const xf = layerNorm(kept, weights.ln_f_weight, weights.ln_f_bias, 'ln_f');
  g.rename(lmHead(xf), 'logits');

  return g.encode({
    name: 'gpt2',
    opset: OPSET,
    docString: `GPT-2 (n_layer=${L}, n_head=${H}, n_embd=${C}, vocab_size=${V})${quantize ? `, int8 dynamic quantization (activation scales per ${activationScale === 'row' ? 'token' : 'run'})` : ''}${attentions ? ', with attention outputs' : ''}`,
  });
}

/**
 * gelu_new(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), written as primitives in the
 * form PyTorch exports it, which ONNX Runtime fuses into one FastGelu kernel.
 */
function geluTanh(g: GraphBuilder, x: string): string {
  const c = (name: string, value: number): string => g.shared(name, () => g.scalar(name, value));
  const cube = g.op1('Pow', [x, c('gelu_3', 3)]);
  const inner = g.op1('Add', [x, g.op1('Mul', [cube, c('gelu_0.044715', 0.044715)])]);
  const t = g.op1('Tanh', [g.op1('Mul', [inner, c('gelu_sqrt_2_over_pi', Math.sqrt(2 / Math.PI))])]);
  return g.op1('Mul', [g.op1('Mul', [x, c('gelu_0.5', 0.5)]), g.op1('Add', [t, c('gelu_1', 1)])]);
}

/**
 * y = x W [K, N] with x quantized on the fly and W stored as int8 per column. Per run ('tensor'):
 * DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(x_scale * w_scale), the pattern
 * ONNX Runtime's quantize_dynamic writes, and which its CPU optimizer fuses into one kernel.
 */
function quantizedMatMul(
  g: GraphBuilder,
  activationScale: ActivationScale,
  x: string,
  Wq: string,
  wScale: string,
  K: number,
  N: number,
  rows: () => TokenRows,
): string {
  if (activationScale === 'row') return rowQuantizedMatMul(g, x, Wq, wScale, K, N, rows());
  const [xq, xScale, xZero] = g.op('DynamicQuantizeLinear', [x], {}, 3);
  const acc = g.op1('MatMulInteger', [xq, Wq, xZero, g.tensor(`${Wq}.zero_point`, DataType.INT8, [], Int8Array.of(0))]); // int32
  return g.op1('Mul', [g.op1('Cast', [acc], { to: DataType.FLOAT }), g.op1('Mul', [xScale, wScale])]);
}

export type ActivationScale = 'tensor' | 'row';

/**
 * y = x W with each token's activations quantized on their own: symmetric, scale = max |x_row| / 127,
 * stored as uint8 around zero point 128. A token's result then does not depend on the other tokens
 * of the run, so a prompt gives the same logits however it was split into runs: with per-run scales
 * embedded-v6's last logits moved by up to 2.0 between splits of one 200-token prompt (a
 * near-tie then goes either way, so the editor, which reuses the KV cache of earlier keystrokes, showed
 * another suggestion than the whole prompt gives); with per-token scales they are bitwise equal. The
 * extra nodes run unfused and cost ONNX Runtime time per run: a cold completion ~1.0-1.1x, a decode
 * step ~10% more (bench/results/int8-{accuracy,engine-latency}-embedded-v6.json, docs/MODEL.md).
 */
function rowQuantizedMatMul(g: GraphBuilder, x: string, Wq: string, wScale: string, K: number, N: number, rows: TokenRows): string {
  const flat = g.op1('Reshape', [x, g.shared(`shape_rows_${K}`, (n) => g.int64s(n, [-1, K]))]); // [M, K], M = B*T
  const amax = g.op1('ReduceMax', [g.op1('Abs', [flat])], { axes: [1], keepdims: 0 }); // [M]
  // A row of zeros gets a tiny scale rather than 0, which would divide by zero.
  const xScale = g.op1('Max', [g.op1('Mul', [amax, g.shared('act_inv_127', (n) => g.scalar(n, 1 / 127))]), g.shared('act_min_scale', (n) => g.scalar(n, 1e-30))]); // [M]
  // QuantizeLinear takes one scale per row of a 2-D tensor (axis 0), with a zero point per row.
  const xq = g.op1('QuantizeLinear', [flat, xScale, rows.zero], { axis: 0 }); // [M, K] uint8
  const acc = g.op1('MatMulInteger', [xq, Wq, ACT_ZERO, g.tensor(`${Wq}.zero_point`, DataType.INT8, [], Int8Array.of(0))]); // [M, N] int32
  // Column scales first, the row scale after: ORT 1.30 fuses MatMulInteger -> Cast -> Mul into
  // MatMulIntegerToFloat, which reads a per-row scale wrongly (the loss went from 3.98 to 5.15).
  const rowScale = g.op1('Unsqueeze', [xScale, g.shared('axes_1', (n) => g.int64s(n, [1]))]); // [M, 1]
  const y = g.op1('Mul', [g.op1('Mul', [g.op1('Cast', [acc], { to: DataType.FLOAT }), wScale]), rowScale]); // [M, N]
  return g.op1('Reshape', [y, rows.shape(N)]);
}

/** The zero-point initializer of per-token activations (uint8 128: symmetric around it). */
const ACT_ZERO = 'act_zero_u8';

/**
 * What the per-token quantized matmuls over one set of rows share, so each adds its own nodes only
 * (every node costs ONNX Runtime time per run, most of a decode step at this model size): the
 * zero points, one per row, and the output shapes [B, T, N].
 */
interface TokenRows {
  zero: string;
  shape(N: number): string;
}

/** TokenRows for the rows of `source` ([B, T] or [B, T, C]). */
function tokenRows(g: GraphBuilder, source: string): TokenRows {
  const bt = g.op1('Shape', [source], { end: 2 }); // [B, T]
  const rowCount = g.op1('ReduceProd', [bt], { keepdims: 1 }); // [B*T]
  const zeroScalar = g.shared(ACT_ZERO, (n) => g.tensor(n, DataType.UINT8, [], Uint8Array.of(128)));
  const zero = g.op1('Expand', [zeroScalar, rowCount]); // [B*T] uint8
  const shapes = new Map<number, string>();
  return {
    zero,
    shape: (N) => {
      let shape = shapes.get(N);
      if (shape === undefined) {
        shape = g.op1('Concat', [bt, g.shared(`dim_${N}`, (n) => g.int64s(n, [N]))], { axis: 0 });
        shapes.set(N, shape);
      }
      return shape;
    },
  };
}
