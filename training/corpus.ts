/**
 * `npm run corpus`: downloads the listed npm packages, keeps their hand-written JS/TS source, trains the BPE
 * tokenizer and writes data/corpus/ (train.bin, val.bin, val-files.jsonl, meta.json, tokenizer/).
 * Relative paths are resolved from the current folder (the repo root under `npm run`).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildCorpus } from './corpus/buildCorpus';
import { FIM_ORDERS, type FimOrder } from '../src/engine/protocol';
import { DEFAULT_FIM_OPTIONS } from './corpus/fim';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!(n >= 0)) throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number between 0 and 1, got "${value}"`);
  return n;
}

function share(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number from 0 to 1, got "${value}"`);
  return n;
}

const program = new Command()
  .name('corpus')
  .description('Build the training corpus and tokenizer in data/corpus/')
  .option('--packages <file>', 'package list (name@version, license, split, integrity; tab-separated)', '../shared/corpus/train-packages.txt')
  .option('--cache <dir>', 'where npm pack puts tarballs', 'data/npm-cache')
  .option('--out <dir>', 'output folder', 'data/corpus')
  .option('--vocab-size <n>', 'tokenizer vocabulary size including special and byte tokens', positiveInt, 8192)
  .option('--min-frequency <n>', 'stop merging when the best pair is rarer than this', positiveInt, 2)
  .option('--val-fraction <x>', 'share of packages held out when the list marks none as val', fraction, 0.1)
  .option('--val-packages <names>', 'comma-separated package names to hold out (overrides the list and --val-fraction)')
  .option('--tokenizer-sample-mb <n>', 'MB of train documents to train the tokenizer on (a hash-chosen sample when the split is larger)', positiveInt, 64)
  .option('--max-file-kb <n>', 'drop source files larger than this', positiveInt, 200)
  .option('--min-package-bytes <n>', 'skip packages with less usable source than this', positiveInt, 2000)
  .option('--max-package-mb <n>', 'keep at most this many MB of documents per package (0: no cap)', nonNegative, 6)
  .option('--model-max-length <n>', 'model_max_length written to tokenizer_config.json (the context length)', positiveInt, 1024)
  .option('--tokenizer <dir>', 'use the tokenizer.json of this model folder instead of training one (to continue training that model)')
  .option('--fim-rate <x>', 'share of training files written as fill-in-the-middle examples (0: none)', share, DEFAULT_FIM_OPTIONS.rate)
  .option('--fim-piece-kb <n>', 'FIM examples are cut from line-aligned pieces of at most this many KB of a file', nonNegative, DEFAULT_FIM_OPTIONS.maxPieceBytes / 1000)
  .option('--fim-max-middle-lines <n>', 'longest FIM middle, in lines', positiveInt, DEFAULT_FIM_OPTIONS.maxMiddleLines)
  .addOption(new Option('--fim-order <order>', 'FIM example order: spm (suffix first, the middle continues the prefix) or psm').choices(FIM_ORDERS).default(DEFAULT_FIM_OPTIONS.order))
  .option('--max-val-overlap <x>', 'drop validation files sharing more than this share of their lines with one training file', share, 0.3)
  .option('--offline', 'use cached tarballs only; never run npm pack', false);

program.parse();
const opts = program.opts<{
  packages: string;
  cache: string;
  out: string;
  vocabSize: number;
  minFrequency: number;
  valFraction: number;
  valPackages?: string;
  tokenizerSampleMb: number;
  maxFileKb: number;
  minPackageBytes: number;
  maxPackageMb: number;
  modelMaxLength: number;
  tokenizer?: string;
  fimRate: number;
  fimPieceKb: number;
  fimMaxMiddleLines: number;
  fimOrder: FimOrder;
  maxValOverlap: number;
  offline: boolean;
}>();

const started = Date.now();
const log = (message: string): void => console.error(`[corpus ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}`);
const outDir = resolve(opts.out);
mkdirSync(outDir, { recursive: true });

try {
  const meta = buildCorpus({
    packageList: resolve(opts.packages),
    cacheDir: resolve(opts.cache),
    outDir,
    vocabSize: opts.vocabSize,
    minFrequency: opts.minFrequency,
    valFraction: opts.valFraction,
    valPackages: opts.valPackages?.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    tokenizerSampleBytes: opts.tokenizerSampleMb * 1e6,
    maxFileBytes: opts.maxFileKb * 1000,
    minPackageBytes: opts.minPackageBytes,
    maxPackageBytes: opts.maxPackageMb * 1e6,
    modelMaxLength: opts.modelMaxLength,
    tokenizerDir: opts.tokenizer === undefined ? undefined : resolve(opts.tokenizer),
    fim: { rate: opts.fimRate, maxPieceBytes: Math.round(opts.fimPieceKb * 1000), maxMiddleLines: opts.fimMaxMiddleLines, order: opts.fimOrder },
    maxValOverlap: opts.maxValOverlap,
    offline: opts.offline,
    log,
  });
  const skipped = meta.packages.filter((p) => p.status === 'skipped');
  console.log(`\nCorpus written to ${outDir} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`  vocab size      ${meta.vocabSize}`);
  for (const split of ['train', 'val'] as const) {
    const s = meta.splits[split];
    console.log(`  ${split.padEnd(5)}           ${s.packages} packages, ${s.files} files, ${(s.bytes / 1e6).toFixed(1)} MB, ${s.tokens} tokens, ${s.bytesPerToken} bytes/token`);
  }
  console.log(`  dropped files   ${Object.entries(meta.dropped).map(([r, n]) => `${r} ${n}`).join(', ')}`);
  const d = meta.dedupe.train;
  console.log(`  dedupe (train)  ${d.filesBefore} -> ${d.filesAfter} files, ${d.tokensBefore} -> ${d.tokensAfter} tokens`);
  console.log(`  val overlap     ${meta.valOverlap.droppedFiles} of ${meta.valOverlap.checkedFiles} val files dropped (> ${meta.valOverlap.maxFraction * 100}% of lines shared with a training file)`);
  console.log(`  FIM             ${meta.fim.files} train files -> ${meta.fim.examples} examples (+${meta.fim.plainPieces} pieces left plain)`);
  console.log(`  skipped         ${skipped.length === 0 ? 'none' : skipped.map((p) => `${p.name} (${p.skipReason})`).join('; ')}`);
} catch (error) {
  console.error(`corpus: ${(error as Error).message}`);
  process.exitCode = 1;
}
