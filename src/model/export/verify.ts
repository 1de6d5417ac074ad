/**
 * After an export: run the written ONNX files on ONNX Runtime (node) and compare them with the
 * reference forward pass on the same weights, so a bad export fails at export time, not in the editor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { withAttentionOutputs } from '../attentionGraph';
import { GptConfig } from '../config';
import { gptFeeds } from '../gptFeeds';
import { argmax, forward } from '../gpt';
import { GptWeights } from '../weights';
import { ONNX_FILES } from '../folderLayout';

export interface VerifyReport {
  tokens: number;
  /** Largest |logit| of the reference, to read the differences against. */
  maxAbsLogit: number;
  fp32MaxAbsDiff: number;
  attentionsMaxAbsDiff: number;
  q8MaxAbsDiff: number;
  /** Fraction of positions where the int8 model's top token is the reference's. */
  q8Top1Agreement: number;
}

async function run(file: string, config: GptConfig, tokens: number[], graph: Uint8Array = fs.readFileSync(file)): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(graph);
  try {
    return await session.run(gptFeeds((type, data, dims) => new ort.Tensor(type, data, dims), config, tokens));
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Runs `tokens` (default: a fixed spread of ids) through the two ONNX files in `dir` and through the
 * attention graph the extension derives from the fp32 one.
 */
export async function verifyExport(dir: string, config: GptConfig, weights: GptWeights, tokens?: number[]): Promise<VerifyReport> {
  const T = Math.min(16, config.n_positions);
  tokens ??= Array.from({ length: T }, (_, i) => (i * 7919 + 11) % config.vocab_size);
  const ref = forward(config, weights, tokens);
  const V = config.vocab_size;
  const fp32 = await run(path.join(dir, ONNX_FILES.fp32), config, tokens);
  const fp32File = path.join(dir, ONNX_FILES.fp32);
  const att = await run(fp32File, config, tokens, withAttentionOutputs(fs.readFileSync(fp32File), fp32File).bytes);
  const q8 = await run(path.join(dir, ONNX_FILES.q8), config, tokens);
  const q8Logits = q8.logits.data as Float32Array;
  let agree = 0;
  for (let t = 0; t < tokens.length; t++) agree += Number(argmax(q8Logits, t * V, V) === argmax(ref.logits, t * V, V));
  let attentionsMaxAbsDiff = 0;
  for (let i = 0; i < config.n_layer; i++) {
    attentionsMaxAbsDiff = Math.max(attentionsMaxAbsDiff, maxAbsDiff(att[`decoder_attentions.${i}`].data as Float32Array, ref.attentions[i]));
  }
  return {
    tokens: tokens.length,
    maxAbsLogit: ref.logits.reduce((m, x) => Math.max(m, Math.abs(x)), 0),
    fp32MaxAbsDiff: Math.max(maxAbsDiff(fp32.logits.data as Float32Array, ref.logits), maxAbsDiff(att.logits.data as Float32Array, ref.logits)),
    attentionsMaxAbsDiff,
    q8MaxAbsDiff: maxAbsDiff(q8Logits, ref.logits),
    q8Top1Agreement: agree / tokens.length,
  };
}
