/**
 * `npm run eval -- MODEL_DIR [--val-tokens N] [--max-lines N] ...`
 *
 * Evaluates a model folder (config.json + model.safetensors, and onnx/model.onnx when exported)
 * against a token n-gram baseline trained in the same run on the same train.bin, and prints a
 * markdown table:
 *   - validation loss (nats/token) and bits per byte on fixed windows of val.bin spread over the file
 *   - next-token top-1 accuracy on the same tokens
 *   - line completion on held-out files (val-files.jsonl): exact match and edit similarity
 * Everything is deterministic (fixed windows and lines, greedy decoding).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { FIM_ORDERS, type FimOrder } from '../src/engine/protocol';
import { readTokenizerFiles, BpeTokenizer } from '../src/model/tokenizer';
import { fimPromptIds } from './corpus/fim';
import { byteLevelToBytes } from '../src/model/tokenizer/byteLevel';
import { readVocabSize } from './trainer/config';
import { NGramModel } from './trainer/ngram';
import { LanguageModel, NGramLanguageModel, OrtModel, ReferenceModel, readModelConfig } from './trainer/languageModel';
import { LineSample, editSimilarity, readValFiles, selectLines } from './trainer/lineCompletion';

/** One model's row of `npm run eval -- --json` (training/modelCard.ts reads these files). */
export interface Metrics {
  model: string;
  valLoss: number;
  bitsPerByte: number;
  top1: number;
  lineExact: number;
  lineEditSim: number;
  lines: number;
  tokens: number;
  seconds: number;
  /** Predictions for the first held-out lines, in order (never picked by quality). */
  predictions: string[];
}

function readTokens(file: string): Uint16Array {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read token file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.length % 2) throw new Error(`${file}: odd size ${buf.length}, not uint16 tokens`);
  const out = new Uint16Array(buf.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readUInt16LE(2 * i);
  return out;
}

/** Windows of `len` tokens spread evenly over `tokens`, `count` of them. */
function valWindows(tokens: Uint16Array, len: number, count: number): number[][] {
  const n = Math.min(count, Math.floor(tokens.length / len));
  const stride = n > 1 ? Math.floor((tokens.length - len) / (n - 1)) : 0;
  return Array.from({ length: n }, (_, w) => Array.from(tokens.subarray(w * stride, w * stride + len)));
}

function tokenByteLengths(tok: BpeTokenizer, V: number): Uint32Array {
  const out = new Uint32Array(V);
  for (let id = 0; id < V; id++) {
    const t = tok.idToToken(id);
    const bytes = t === undefined ? undefined : byteLevelToBytes(t);
    out[id] = bytes ? bytes.length : 0; // special tokens carry no text bytes
  }
  return out;
}

async function evaluate(
  lm: LanguageModel,
  windows: number[][],
  samples: LineSample[],
  tok: BpeTokenizer,
  byteLen: Uint32Array,
  maxNew: number,
  progress: (msg: string) => void,
  keepPredictions = 0,
  fim: FimOrder | false = false,
): Promise<Metrics> {
  const t0 = Date.now();
  let nats = 0;
  let bytes = 0;
  let hits = 0;
  let count = 0;
  for (const w of windows) {
    const { logProbs, top1 } = await lm.scoreWindow(w);
    for (let i = 0; i < logProbs.length; i++) {
      nats -= logProbs[i];
      bytes += byteLen[w[i + 1]];
      hits += top1[i];
      count++;
    }
  }
  progress(`  ${lm.name}: scored ${count} tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const newline = new Set<number>();
  for (let id = 0; id < byteLen.length; id++) {
    const t = tok.idToToken(id);
    const b = t === undefined ? undefined : byteLevelToBytes(t);
    if (b?.includes(10)) newline.add(id);
  }
  const stop = (id: number) => id === 0 || newline.has(id);
  let exact = 0;
  let sim = 0;
  const predictions: string[] = [];
  for (const [k, s] of samples.entries()) {
    if (k > 0 && k % 100 === 0) progress(`  ${lm.name}: ${k}/${samples.length} lines, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const prompt = fim !== false ? fimPrompt(tok, s, lm.contextLength - maxNew, fim) : prefixPrompt(tok, s, lm.contextLength - maxNew);
    const gen = await lm.greedy(prompt, maxNew, stop);
    const text = tok.decode(gen.filter((id) => id !== 0));
    const pred = text.split('\n')[0].trimEnd();
    if (k < keepPredictions) predictions.push(pred);
    if (pred === s.target) exact++;
    sim += editSimilarity(pred, s.target);
  }
  return {
    model: lm.name,
    valLoss: nats / count,
    bitsPerByte: nats / Math.LN2 / bytes,
    top1: hits / count,
    lineExact: samples.length ? exact / samples.length : NaN,
    lineEditSim: samples.length ? sim / samples.length : NaN,
    lines: samples.length,
    tokens: count,
    seconds: (Date.now() - t0) / 1000,
    predictions,
  };
}

/** The file up to the completion point, its last `budget` tokens (after `<|endoftext|>` at a file start). */
function prefixPrompt(tok: BpeTokenizer, s: LineSample, budget: number): number[] {
  const ids = tok.encode(s.prefix);
  return (s.fileStart ? [0, ...ids] : ids).slice(-budget);
}

/**
 * The prompt builder's FIM form (src/completion/prompt.ts) in `order`, without the header line the val files
 * lack: psm `<fim_prefix>` prefix `<fim_suffix>` suffix `<fim_middle>`, spm `<fim_prefix><fim_suffix>` suffix
 * `<fim_middle>` prefix; the suffix cut to a quarter of `budget` tokens and the prefix to the rest (its end
 * kept), like the editor's suffixTokens/prefix budgets.
 */
function fimPrompt(tok: BpeTokenizer, s: LineSample, budget: number, order: FimOrder): number[] {
  const suffix = tok.encodeOrdinary(s.suffix).slice(0, Math.floor(budget / 4));
  const prefix = tok.encodeOrdinary(s.prefix).slice(-(budget - 3 - suffix.length));
  return fimPromptIds(prefix, suffix, order);
}

/** The first held-out lines with every model's completion: `code` cells, pipes escaped. */
function examplesTable(rows: Metrics[], samples: LineSample[], count: number): string {
  const cell = (text: string) => (text.trim() === '' ? '(empty)' : '`' + text.replace(/\|/g, '\\|').replace(/`/g, "'") + '`');
  const lastLine = (prefix: string) => prefix.slice(prefix.lastIndexOf('\n') + 1);
  const lines = [
    `| file:line | line so far | expected | ${rows.map((r) => r.model).join(' | ')} |`,
    `|---|---|---|${rows.map(() => '---').join('|')}|`,
  ];
  for (let i = 0; i < Math.min(count, samples.length); i++) {
    const s = samples[i];
    const preds = rows.map((r) => cell(r.predictions[i] ?? ''));
    lines.push(`| ${s.file}:${s.line + 1} | ${cell(lastLine(s.prefix))} | ${cell(s.target)} | ${preds.join(' | ')} |`);
  }
  return lines.join('\n');
}

function markdownTable(rows: Metrics[]): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
  const lines = [
    '| model | val loss (nats/token) | bits/byte | next-token top-1 | line exact match | line edit similarity | eval time |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const num = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
    lines.push(`| ${r.model} | ${num(r.valLoss)} | ${num(r.bitsPerByte)} | ${pct(r.top1)} | ${pct(r.lineExact)} | ${pct(r.lineEditSim)} | ${r.seconds.toFixed(0)} s |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .name('eval')
    .description('Validation loss, bits/byte, top-1 accuracy and line completion for a model folder, against an n-gram baseline')
    .argument('<model-dir>', 'folder with config.json + model.safetensors (+ onnx/model.onnx)')
    .option('--data <dir>', 'corpus folder (train.bin, val.bin, val-files.jsonl, meta.json, tokenizer/)', 'data/corpus')
    .option('--val-tokens <n>', 'validation tokens to score', (v) => parseInt(v, 10), 32768)
    .option('--max-lines <n>', 'held-out lines to complete', (v) => parseInt(v, 10), 500)
    .option('--per-file <n>', 'lines per held-out file', (v) => parseInt(v, 10), 3)
    .option('--max-new <n>', 'most tokens generated per line', (v) => parseInt(v, 10), 48)
    .option('--ngram-order <n>', 'order of the n-gram baseline (0: skip it)', (v) => parseInt(v, 10), 4)
    .option('--reference', 'use the TS reference forward pass even when onnx/model.onnx exists (slow)', false)
    .option('--json <file>', 'also write the metrics as JSON')
    .option('--examples <n>', 'print the first N held-out line completions of every model (not cherry-picked)', (v) => parseInt(v, 10), 0)
    .addOption(new Option('--fim <order>', 'also complete the same lines from a FIM prompt in this order with the following lines as suffix (one more row)').choices(FIM_ORDERS))
    .parse();
  const [modelDir] = program.args;
  const o = program.opts<{ data: string; valTokens: number; maxLines: number; perFile: number; maxNew: number; ngramOrder: number; reference: boolean; json?: string; examples: number; fim?: FimOrder }>();
  const log = (m: string) => console.error(m);

  const config = readModelConfig(modelDir);
  const vocab = readVocabSize(path.join(o.data, 'meta.json'));
  if (vocab !== config.vocab_size) throw new Error(`${modelDir}/config.json: vocab_size ${config.vocab_size} differs from ${o.data}/meta.json vocabSize ${vocab}`);
  const tokDir = fs.existsSync(path.join(modelDir, 'tokenizer.json')) ? modelDir : path.join(o.data, 'tokenizer');
  const tok = readTokenizerFiles(tokDir);
  const byteLen = tokenByteLengths(tok, config.vocab_size);

  const onnx = path.join(modelDir, 'onnx', 'model.onnx');
  const useOrt = !o.reference && fs.existsSync(onnx);
  if (!useOrt) log(`${onnx} not found or --reference: using the TS reference forward pass (slow)`);
  const gpt: LanguageModel = useOrt ? await OrtModel.load(modelDir) : ReferenceModel.load(modelDir);

  const windowLen = Math.min(gpt.contextLength, 512) + 1;
  const windows = valWindows(readTokens(path.join(o.data, 'val.bin')), windowLen, Math.ceil(o.valTokens / (windowLen - 1)));
  const samples = selectLines(readValFiles(path.join(o.data, 'val-files.jsonl')), o.maxLines, o.perFile);
  log(`eval: ${windows.length} windows of ${windowLen - 1} predicted tokens, ${samples.length} held-out lines, tokenizer from ${tokDir}`);

  const rows: Metrics[] = [await evaluate(gpt, windows, samples, tok, byteLen, o.maxNew, log, o.examples)];
  if (o.fim !== undefined) {
    // Line completion only: the loss windows are the same left-to-right tokens as the row above.
    const fimRow = await evaluate(gpt, [], samples, tok, byteLen, o.maxNew, log, o.examples, o.fim);
    rows.push({ ...fimRow, model: `${gpt.name}, ${o.fim} FIM prompt (next lines as suffix)`, valLoss: NaN, bitsPerByte: NaN, top1: NaN, tokens: 0 });
  }
  if (o.ngramOrder > 0) {
    const t0 = Date.now();
    const train = readTokens(path.join(o.data, 'train.bin'));
    const ngram = NGramModel.train(train, config.vocab_size, o.ngramOrder);
    log(`  ${o.ngramOrder}-gram trained on ${train.length} tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    rows.push(await evaluate(new NGramLanguageModel(ngram, gpt.contextLength), windows, samples, tok, byteLen, o.maxNew, log, o.examples));
  }
  console.log(`\nEvaluation of ${modelDir} (${windows.length * (windowLen - 1)} val tokens, ${samples.length} lines from ${o.data}/val-files.jsonl)\n`);
  console.log(markdownTable(rows));
  if (o.examples > 0) console.log(`\nFirst ${Math.min(o.examples, samples.length)} held-out lines (greedy, to end of line):\n\n${examplesTable(rows, samples, o.examples)}`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ modelDir, data: o.data, rows }, null, 2) + '\n');
}

main().catch((e: Error) => {
  console.error(`eval: ${e.message}`);
  process.exitCode = 1;
});
