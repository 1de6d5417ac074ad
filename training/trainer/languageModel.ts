/**
 * The models `npm run eval` compares, behind one interface: the exported GPT through
 * onnxruntime-node (MODEL_DIR/onnx/model.onnx, KV cache for generation), the TS reference forward
 * pass when there is no ONNX file, and the n-gram baseline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GptConfig, configFromJson } from '../../src/model/config';
import { gptFeeds } from '../../src/model/gptFeeds';
import { readWeights, GptWeights } from '../../src/model/weights';
import { forward, argmax, ReferenceKvCache } from '../../src/model/gpt';
import { NGramModel } from './ngram';

export interface LanguageModel {
  readonly name: string;
  /** Longest token sequence one call may see. */
  readonly contextLength: number;
  /** Natural-log probability of each tokens[i+1] given tokens[0..i], and whether it was the argmax. */
  scoreWindow(tokens: readonly number[]): Promise<{ logProbs: Float64Array; top1: Uint8Array }>;
  /** Greedy continuation: up to maxNew tokens, stopping after a token for which stop(id) is true. */
  greedy(prompt: readonly number[], maxNew: number, stop: (id: number) => boolean): Promise<number[]>;
}

/** log-softmax of row `row` at `target`, and whether target is the row's argmax (first max wins). */
function scoreRow(logits: Float32Array, row: number, V: number, target: number): { lp: number; top: boolean } {
  const off = row * V;
  let mx = -Infinity;
  let arg = 0;
  for (let v = 0; v < V; v++) {
    if (logits[off + v] > mx) {
      mx = logits[off + v];
      arg = v;
    }
  }
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[off + v] - mx);
  return { lp: logits[off + target] - mx - Math.log(sum), top: arg === target };
}

function scoreLogits(logits: Float32Array, tokens: readonly number[], V: number) {
  const n = tokens.length - 1;
  const logProbs = new Float64Array(n);
  const top1 = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = scoreRow(logits, i, V, tokens[i + 1]);
    logProbs[i] = r.lp;
    top1[i] = r.top ? 1 : 0;
  }
  return { logProbs, top1 };
}

export function readModelConfig(dir: string): GptConfig {
  const file = path.join(dir, 'config.json');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read model config (${(e as Error).message})`);
  }
  return configFromJson(json, file);
}

export class OrtModel implements LanguageModel {
  readonly name: string;
  readonly contextLength: number;
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: GptConfig,
    file: string,
  ) {
    this.name = `GPT ${config.n_layer}L/${config.n_embd}C (ONNX ${path.basename(file)})`;
    this.contextLength = config.n_positions;
  }

  static async load(dir: string, file = 'onnx/model.onnx'): Promise<OrtModel> {
    const config = readModelConfig(dir);
    const onnx = path.join(dir, file);
    const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new OrtModel(session, config, onnx);
  }

  /** Runs `tokens` after `pastLen` cached ones; `logitsToKeep` 0 = every position's logits. */
  private run(tokens: readonly number[], past: Record<string, ort.Tensor> | undefined, pastLen: number, logitsToKeep: number) {
    const feeds = gptFeeds((type, data, dims) => new ort.Tensor(type, data, dims), this.config, tokens, { past, pastLength: pastLen, logitsToKeep });
    return this.session.run(feeds);
  }

  async scoreWindow(tokens: readonly number[]) {
    const out = await this.run(tokens.slice(0, -1), undefined, 0, 0);
    return scoreLogits(out.logits.data as Float32Array, tokens, this.config.vocab_size);
  }

  async greedy(prompt: readonly number[], maxNew: number, stop: (id: number) => boolean): Promise<number[]> {
    const V = this.config.vocab_size;
    const result: number[] = [];
    let out = await this.run(prompt, undefined, 0, 1);
    let len = prompt.length;
    while (result.length < maxNew) {
      const next = argmax(out.logits.data as Float32Array, 0, V);
      result.push(next);
      if (stop(next) || result.length === maxNew || len + 1 > this.contextLength) break;
      out = await this.run([next], out, len, 1);
      len += 1;
    }
    return result;
  }
}

/** The TS reference forward pass (src/model/gpt.ts): slow, for folders without ONNX files. */
export class ReferenceModel implements LanguageModel {
  readonly name: string;
  readonly contextLength: number;
  private constructor(
    private readonly config: GptConfig,
    private readonly weights: GptWeights,
  ) {
    this.name = `GPT ${config.n_layer}L/${config.n_embd}C (TS reference)`;
    this.contextLength = config.n_positions;
  }

  static load(dir: string): ReferenceModel {
    const config = readModelConfig(dir);
    return new ReferenceModel(config, readWeights(path.join(dir, 'model.safetensors'), config));
  }

  async scoreWindow(tokens: readonly number[]) {
    const { logits } = forward(this.config, this.weights, tokens.slice(0, -1));
    return scoreLogits(logits, tokens, this.config.vocab_size);
  }

  async greedy(prompt: readonly number[], maxNew: number, stop: (id: number) => boolean): Promise<number[]> {
    const V = this.config.vocab_size;
    const result: number[] = [];
    let step = forward(this.config, this.weights, prompt);
    let cache: ReferenceKvCache = step.cache;
    let T = prompt.length;
    while (result.length < maxNew) {
      const next = argmax(step.logits, (T - 1) * V, V);
      result.push(next);
      if (stop(next) || result.length === maxNew || cache.length + 1 > this.contextLength) break;
      step = forward(this.config, this.weights, [next], cache);
      cache = step.cache;
      T = 1;
    }
    return result;
  }
}

export class NGramLanguageModel implements LanguageModel {
  readonly name: string;
  constructor(
    private readonly model: NGramModel,
    readonly contextLength: number,
  ) {
    this.name = `${model.order}-gram (interpolated absolute discounting, d=${model.discount})`;
  }

  async scoreWindow(tokens: readonly number[]) {
    const n = tokens.length - 1;
    const logProbs = new Float64Array(n);
    const top1 = new Uint8Array(n);
    const ctxLen = this.model.order - 1;
    for (let i = 0; i < n; i++) {
      const ctx = tokens.slice(Math.max(0, i + 1 - ctxLen), i + 1);
      logProbs[i] = Math.log(this.model.prob(ctx, tokens[i + 1]));
      top1[i] = this.model.argmax(ctx) === tokens[i + 1] ? 1 : 0;
    }
    return { logProbs, top1 };
  }

  async greedy(prompt: readonly number[], maxNew: number, stop: (id: number) => boolean): Promise<number[]> {
    const seq = prompt.slice(-(this.model.order - 1));
    const result: number[] = [];
    while (result.length < maxNew) {
      const next = this.model.argmax(seq.slice(-(this.model.order - 1)));
      result.push(next);
      seq.push(next);
      if (stop(next)) break;
    }
    return result;
  }
}
