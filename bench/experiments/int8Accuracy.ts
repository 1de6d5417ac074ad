/**
 * One-off experiment (not part of \`npm run bench\`): int8 accuracy of the embedded model.
 * \`npx tsx bench/experiments/int8Accuracy.ts\` runs onnx/model.onnx and onnx/model_quantized.onnx of
 * models/localgpt-code-small on 256-token windows of held-out files (data/corpus/val-files.jsonl) and
 * prints the top-1 agreement of the two graphs and the mean next-token loss of each.
 */
import * as ort from 'onnxruntime-node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BpeTokenizer } from '../../src/model/tokenizer';
import { readTokenizerModel } from '../../src/model/tokenizer/hfFiles';
const ROOT = path.resolve(__dirname, '..', '..');
const dir = path.join(ROOT, 'models', 'localgpt-code-small') + path.sep;
async function main(): Promise<void> {
  const tok = new BpeTokenizer(readTokenizerModel(dir + 'tokenizer.json'));
  const lines = fs.readFileSync(path.join(ROOT, 'data', 'corpus', 'val-files.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 40);
  const docs = lines.map((l) => JSON.parse(l).text as string).filter((t) => t.length > 2000).slice(0, 12);
  const L = 4, H = 4, D = 64, V = 8192, T = 256;
  const s32 = await ort.InferenceSession.create(dir + 'onnx/model.onnx', { intraOpNumThreads: 1 });
  const s8 = await ort.InferenceSession.create(dir + 'onnx/model_quantized.onnx', { intraOpNumThreads: 1 });
  let agree = 0, n = 0, nll32 = 0, nll8 = 0;
  for (const d of docs) {
    const ids = tok.encode(d).slice(0, T + 1);
    const inp = ids.slice(0, T);
    const i64 = (v: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);
    const f: Record<string, ort.Tensor> = { input_ids: i64(inp, [1, T]), attention_mask: i64(Array(T).fill(1), [1, T]), position_ids: i64(inp.map((_, i) => i), [1, T]) };
    for (let l = 0; l < L; l++) for (const kv of ['key', 'value']) f[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
    const a = (await s32.run(f)).logits.data as Float32Array;
    const b = (await s8.run(f)).logits.data as Float32Array;
    for (let t = 0; t < T; t++) {
      let ia = 0, ib = 0;
      const lse = (x: Float32Array) => { let m = -Infinity; for (let v = 0; v < V; v++) m = Math.max(m, x[t * V + v]); let s = 0; for (let v = 0; v < V; v++) s += Math.exp(x[t * V + v] - m); return m + Math.log(s); };
      for (let v = 1; v < V; v++) { if (a[t * V + v] > a[t * V + ia]) ia = v; if (b[t * V + v] > b[t * V + ib]) ib = v; }
      agree += Number(ia === ib); n++;
      const y = ids[t + 1];
      nll32 += lse(a) - a[t * V + y]; nll8 += lse(b) - b[t * V + y];
    }
  }
  console.log(`docs ${docs.length}, positions ${n}: int8 top-1 agreement with fp32 ${(100 * agree / n).toFixed(1)}%, loss fp32 ${(nll32 / n).toFixed(4)} int8 ${(nll8 / n).toFixed(4)} (+${(100 * (nll8 / nll32 - 1)).toFixed(2)}%)`);
}
main();
