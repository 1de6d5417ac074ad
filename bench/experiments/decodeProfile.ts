/**
 * Where a decode step's time goes: ONNX Runtime's own profiler on the completion graph, run as the
 * engine runs it (OwnedCacheLm: the graph without `present.*` outputs, src/model/decodeGraph.ts, the
 * engine's session options, fetching only the last logits row and the new keys/values), decode steps
 * after a prefill; `--with-present` runs the file as shipped (what transformers.js runs). Per operator type: kernel time per step and
 * its share; "outside kernels" is session.run's wall time minus the kernel times (graph dispatch,
 * allocation, input/output binding); "JS" is the wall time around session.run minus ORT's own run.
 *
 *   npx tsx bench/experiments/decodeProfile.ts <model dir> [--int8|--fp32] [--context N] [--steps N] [--threads N] [--with-present]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { sessionOptionsFor } from '../../src/engine/backend';
import { configFromJson } from '../../src/model/config';
import { withoutPresentOutputs } from '../../src/model/decodeGraph';
import { gptFeeds } from '../../src/model/gptFeeds';

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = path.resolve(args[0] ?? 'models/localgpt-code-small');
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const int8 = !args.includes('--fp32');
  const threads = opt('--threads', 1);
  const shape = configFromJson(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>);
  const context = Math.min(opt('--context', 256), shape.n_positions - 64);
  const steps = opt('--steps', 32);
  const file = path.join(dir, 'onnx', int8 ? 'model_quantized.onnx' : 'model.onnx');
  const prefix = path.join(os.tmpdir(), `decode-profile-${process.pid}`);
  const shipped = fs.readFileSync(file);
  const graph = args.includes('--with-present') ? shipped : (withoutPresentOutputs(shipped, file)?.bytes ?? shipped);
  const session = await ort.InferenceSession.create(graph, { ...(sessionOptionsFor('native', threads) as ort.InferenceSession.SessionOptions), enableProfiling: true, profileFilePrefix: prefix });
  const D = shape.n_embd / shape.n_head;
  const newKv = session.outputNames.filter((n) => n.startsWith('new_key_values.'));
  const fetches = ['logits', ...newKv];
  const make = (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]) => new ort.Tensor(type, data, dims);
  const tokens = Array.from({ length: context + steps + 1 }, (_, i) => (i * 7919 + 11) % shape.vocab_size);
  // Past keys/values of `context` tokens, named as the previous step's outputs (gptFeeds); values do not change the cost.
  const past: Record<string, ort.Tensor> = {};
  const pastOf = (len: number) => {
    for (let l = 0; l < shape.n_layer; l++) {
      for (const kind of ['key', 'value']) past[`present.${l}.${kind}`] = make('float32', new Float32Array(shape.n_head * len * D), [1, shape.n_head, len, D]);
    }
    return past;
  };
  const runs: { wall: number; decode: boolean }[] = [];
  const run = async (ids: number[], pastLength: number, decode: boolean) => {
    const feeds = gptFeeds((t, d, dims) => make(t, d as BigInt64Array | Float32Array, dims), shape, ids, { pastLength, past: pastOf(pastLength), logitsToKeep: 1 }) as Record<string, ort.Tensor>;
    for (const n of Object.keys(feeds)) if (!session.inputNames.includes(n)) delete feeds[n];
    const t = performance.now();
    await (newKv.length ? session.run(feeds, fetches) : session.run(feeds));
    runs.push({ wall: performance.now() - t, decode });
  };
  await run(tokens.slice(0, 128), 0, false); // warm-up prefill
  for (let s = 0; s < 4; s++) await run([tokens[s]], context, false); // warm-up decode
  for (let s = 0; s < steps; s++) await run([tokens[context + s]], context + s, true);
  session.endProfiling();
  await session.release();
  // ORT names the file <prefix>_<timestamp>.json
  const found = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.json'));
  if (found.length !== 1) throw new Error(`expected one profile file ${prefix}_*.json, found ${found.length}`);
  const profileFile = path.join(os.tmpdir(), found[0]);
  const events = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as ProfileEvent[];
  fs.rmSync(profileFile, { force: true });

  const modelRuns = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  if (modelRuns.length !== runs.length) throw new Error(`profile has ${modelRuns.length} runs, expected ${runs.length}`);
  const decodeRuns = modelRuns.filter((_, i) => runs[i].decode);
  const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const byOp = new Map<string, number>();
  let kernels = 0;
  for (const r of decodeRuns) {
    for (const n of nodes) {
      if (n.ts < r.ts || n.ts > r.ts + r.dur) continue;
      const op = n.args?.op_name ?? '?';
      byOp.set(op, (byOp.get(op) ?? 0) + n.dur);
      kernels += n.dur;
    }
  }
  const per = (us: number) => us / 1000 / steps;
  const runMs = per(decodeRuns.reduce((a, r) => a + r.dur, 0));
  const wallMs = runs.filter((r) => r.decode).reduce((a, r) => a + r.wall, 0) / steps;
  console.log(`${path.basename(dir)} ${int8 ? 'int8' : 'fp32'}${graph === shipped ? ' (with present.*)' : ''}, ${threads} thread(s), decode at context ${context}..${context + steps - 1}, ${steps} steps, load ${os.loadavg()[0].toFixed(1)}`);
  console.log(`session.run wall ${wallMs.toFixed(3)} ms/step; ORT model_run ${runMs.toFixed(3)} ms; kernels ${per(kernels).toFixed(3)} ms; outside kernels ${(runMs - per(kernels)).toFixed(3)} ms; JS ${(wallMs - runMs).toFixed(3)} ms`);
  for (const [op, us] of [...byOp.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${op.padEnd(24)} ${per(us).toFixed(3)} ms/step  ${((100 * us) / kernels).toFixed(1)}% of kernels`);
}

main().catch((e: unknown) => {
  console.error(`decodeProfile: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
