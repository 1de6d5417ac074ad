/**
 * `npm run train -- --config training/configs/<name>.json [--resume] [--out DIR]`
 *
 * Trains a GPT-2 with the native trainer (training/native) and writes training/runs/<name>/:
 *   checkpoint.bin   weights + AdamW state + step + RNG (every checkpoint_minutes, on SIGINT/SIGTERM, at the end)
 *   data/            snapshot of train.bin, val.bin, meta.json and tokenizer/ the run trains from
 *   log.jsonl        every trainer event (step, eval, checkpoint, bench) with a timestamp
 *   latest/          config.json + model.safetensors of the last checkpoint
 *   final/           the same when all steps (or max_minutes) are done (docs/ARCHITECTURE.md model
 *                    format), plus the snapshot's tokenizer.json/tokenizer_config.json and training.json
 * Other modes: --export (write final/ from the checkpoint now), --bench (throughput vs plain sgemm).
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { loadTrainConfig } from './trainer/config';
import { NATIVE_BIN, blasEnv, buildNative, exportFromCheckpoint, nativeArgs, runTraining } from './trainer/run';

async function main(): Promise<void> {
  const program = new Command()
    .name('train')
    .description('Train the Local GPT model with the native (C + OpenBLAS) trainer')
    .requiredOption('--config <file>', 'training config JSON (training/configs/*.json)')
    .option('--resume', 'continue from <out>/checkpoint.bin', false)
    .option('--out <dir>', 'run directory (default training/runs/<name>)')
    .option('--train <file>', 'override data.train (uint16 token file)')
    .option('--val <file>', 'override data.val')
    .option('--meta <file>', 'override data.meta (corpus meta.json with vocabSize)')
    .option('--stop-after <steps>', 'checkpoint and stop after this many steps of this invocation', (v) => parseInt(v, 10))
    .option('--export', 'write <out>/final from the current checkpoint and exit', false)
    .option('--bench', 'measure training step throughput against plain sgemm on the model shapes and exit', false)
    .parse();
  const o = program.opts<{ config: string; resume: boolean; out?: string; train?: string; val?: string; meta?: string; stopAfter?: number; export: boolean; bench: boolean }>();
  const cfg = loadTrainConfig(o.config, { train: o.train, val: o.val, meta: o.meta });
  const outDir = path.resolve(o.out ?? path.join('training', 'runs', cfg.name));

  if (o.bench) {
    buildNative();
    const args = nativeArgs(cfg, outDir, false).concat(['--bench', '1']);
    const r = spawnSync(NATIVE_BIN, args, { env: blasEnv(cfg.training.threads), stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  if (o.export) {
    const dir = exportFromCheckpoint(cfg, outDir, 'final', { exported_early: true });
    console.log(`wrote ${dir}`);
    return;
  }
  await runTraining(cfg, { outDir, resume: o.resume, stopAfter: o.stopAfter, snapshotData: true });
}

main().catch((e: Error) => {
  console.error(`train: ${e.message}`);
  process.exitCode = 1;
});
