/**
 * One-off experiment (not part of `npm run bench`): what per-token activation scales cost a completion
 * in the engine, against one scale per run, on the same weights.
 *
 *   npx tsx bench/experiments/int8EngineLatency.ts [--model DIR] [--rounds N] [--out FILE.json]
 *
 * Writes the int8 graph both ways into copies of the model folder (default: the embedded model), opens
 * an EngineSession on each (native, 1 and 2 threads) and times cold completions through the
 * PrefixReusingGenerator, as the extension runs them: a 300-token prompt from an empty cache, prefilled
 * in 128-token chunks, then 16 greedy tokens. The graphs take turns, each round a different prompt.
 * Unlike a decode loop at one fixed shape, every step here has a new past length, so the cost of the
 * extra nodes per run shows.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { startBackend } from '../../src/engine/backend';
import { PREFILL_CHUNK_TOKENS, PrefixReusingGenerator } from '../../src/engine/generate';
import { inspectModelFolder } from '../../src/engine/modelFolder';
import type { GenerationOptions } from '../../src/engine/protocol';
import { EngineSession } from '../../src/engine/session';
import { configFromJson } from '../../src/model/config';
import { type ActivationScale, buildGptGraph } from '../../src/model/export/gptGraph';
import { ONNX_FILES } from '../../src/model/folderLayout';
import { readWeights } from '../../src/model/weights';
import { summarize } from '../lib/stats';

const ROOT = path.resolve(__dirname, '..', '..');
const SCALES: ActivationScale[] = ['tensor', 'row'];
const PROMPT_TOKENS = 300;
const NEW_TOKENS = 16;

async function main(): Promise<void> {
  const opts = new Command()
    .option('--model <dir>', 'model folder with config.json, tokenizer files and model.safetensors', path.join(ROOT, 'models', 'localgpt-code-small'))
    .option('--rounds <n>', 'completions per graph and thread count', (v) => Number(v), 14)
    .option('--out <file>', 'write the results as JSON')
    .parse()
    .opts<{ model: string; rounds: number; out?: string }>();
  const config = configFromJson(JSON.parse(fs.readFileSync(path.join(opts.model, 'config.json'), 'utf8')));
  const weights = readWeights(path.join(opts.model, 'model.safetensors'), config);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'int8-engine-'));
  const folders = SCALES.map((scale) => {
    const dir = path.join(tmp, scale);
    fs.cpSync(opts.model, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, ONNX_FILES.q8), buildGptGraph(config, weights, { quantize: true, activationScale: scale }));
    return dir;
  });
  const options: GenerationOptions = { maxNewTokens: NEW_TOKENS, temperature: 0, topK: 0, topP: 1, seed: 1, stop: [] };
  const results = [];
  try {
    for (const threads of [1, 2]) {
      const transformers = await startBackend('native', { wasmPaths: '', threads });
      const sessions = await Promise.all(folders.map((dir) => EngineSession.open(transformers, inspectModelFolder(dir, { quantized: true }), { name: path.basename(dir), backend: 'native', threads })));
      let text = sessions[0].encode(fs.readFileSync(path.join(ROOT, 'bench', 'fixtures', 'code-sample.txt'), 'utf8'));
      while (text.length < PROMPT_TOKENS + 7 * opts.rounds) text = text.concat(text);
      const generators = sessions.map((s) => new PrefixReusingGenerator(s.lm, s, { prefillChunk: PREFILL_CHUNK_TOKENS, now: () => performance.now() }));
      const cold = SCALES.map((): number[] => []);
      const decode = SCALES.map((): number[] => []);
      for (let round = 0; round < opts.rounds; round++) {
        for (let g = 0; g < SCALES.length; g++) {
          generators[g].reset();
          const t = performance.now();
          const out = await generators[g].generate(text.slice(7 * round, 7 * round + PROMPT_TOKENS), options, () => false);
          if (out.status !== 'done') throw new Error('generation was cancelled');
          cold[g].push(performance.now() - t);
          decode[g].push(out.timings.decodeMs / Math.max(1, out.ids.length - 1));
        }
      }
      for (const s of sessions) await s.dispose();
      const row = { threads, ...Object.fromEntries(SCALES.map((scale, g) => [scale, { coldMs: summarize(cold[g]), decodeMsPerToken: summarize(decode[g]) }])) };
      results.push(row);
      console.log(
        `threads ${threads}: ` +
          SCALES.map((scale, g) => `scale per ${scale === 'row' ? 'token' : 'run'}: cold p50 ${summarize(cold[g]).median.toFixed(1)} ms, decode p50 ${summarize(decode[g]).median.toFixed(2)} ms/token`).join(' | '),
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const machine = { cpu: os.cpus()[0]?.model ?? '?', cpus: os.cpus().length, loadAverage: os.loadavg()[0] };
  if (opts.out) {
    fs.writeFileSync(opts.out, `${JSON.stringify({ model: path.relative(ROOT, opts.model), date: new Date().toISOString(), machine, promptTokens: PROMPT_TOKENS, newTokens: NEW_TOKENS, rounds: opts.rounds, results }, null, 2)}\n`);
  }
}

main().catch((e: unknown) => {
  console.error(`int8EngineLatency: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
