/**
 * `tsx training/modelCard.ts --meta M --train-log L --training T --eval E [--baseline-eval B] --out card.md`
 *
 * Writes the model card's Training, Evaluation and Training corpus sections (the Markdown that
 * `training/export.ts --card` appends to the generated README.md) from the result files of a run, so that
 * every number in the card comes from a file that can be named:
 *   --meta           the corpus meta.json the run trained on (training/results/<run>-corpus.json)
 *   --train-log      the run's log.jsonl (training/results/<run>-train-log.jsonl)
 *   --training       the exported training.json (step, tokens, seconds, schedule, init_from)
 *   --eval           `npm run eval -- --json` of the model
 *   --baseline-eval  the same for the model it is compared with (same data)
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { EDITOR_BLOCK } from '../eval/lib/report';
import type { FimOrder } from '../src/engine/protocol';
import type { CorpusMeta } from './corpus/buildCorpus';
import { recordedFimOrder } from './corpus/fim';
import type { Metrics } from './eval';
import { eventsOf, type TrainerEvent } from './trainer/run';

type EvalRow = Omit<Metrics, 'predictions'>;

interface EvalFile {
  modelDir: string;
  data: string;
  rows: EvalRow[];
}

interface TrainingJson {
  config: string;
  step: number;
  tokens: number;
  training_seconds: number;
  seq_len: number;
  schedule?: string;
  init_from?: string;
  val_loss?: number;
  fim?: FimOrder | boolean;
  /** Set by the GPU trainer (training/gpu/train_torch.py); absent: training/native. */
  trainer?: string;
  hardware?: string;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: cannot read JSON (${(e as Error).message})`);
  }
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Per eval interval, the median step GFLOP/s divided by the sgemm rate measured right after it. */
export function sgemmShares(events: readonly TrainerEvent[]): number[] {
  const shares: number[] = [];
  let window: number[] = [];
  let sawStep = false;
  for (const e of events) {
    if (e.event === 'step') {
      if (sawStep) window.push(e.gflops); // the first logged step of an invocation includes start-up work
      sawStep = true;
    } else if (e.event === 'bench' && window.length > 0) {
      const sorted = [...window].sort((a, b) => a - b);
      shares.push(sorted[Math.floor(sorted.length / 2)] / e.sgemm_gflops);
      window = [];
    } else if (e.event === 'start') {
      sawStep = false;
      window = [];
    }
  }
  return shares;
}

/** Steps, tokens and training seconds of a run's log (the last step event). */
function runTotals(events: readonly TrainerEvent[]): { steps: number; tokens: number; seconds: number } {
  const steps = eventsOf(events, 'step');
  const last = steps[steps.length - 1];
  return last ? { steps: last.step, tokens: last.tokens, seconds: last.elapsed_s } : { steps: 0, tokens: 0, seconds: 0 };
}

interface PreviousRun {
  recipe: string;
  events: readonly TrainerEvent[];
}

export function trainingSection(training: TrainingJson, events: readonly TrainerEvent[], recipe: string, previous: readonly PreviousRun[]): string {
  const steps = eventsOf(events, 'step');
  const evals = eventsOf(events, 'eval');
  const start = eventsOf(events, 'start')[0];
  const shares = sgemmShares(events).sort((a, b) => a - b);
  const tokS = steps.slice(1).map((s) => s.tok_s).sort((a, b) => a - b);
  const q = (xs: number[], f: number): number => xs[Math.min(xs.length - 1, Math.floor(f * xs.length))];
  const epochs = start ? training.tokens / start.train_tokens : NaN;
  const kernels = eventsOf(events, 'matmul')[0];
  const products = kernels?.precision === 'bf16' ? `bf16 matrix products for the linear layers and the LM head (${kernels.kernels}; fp32 weights, gradients and AdamW state), OpenBLAS \`cblas_sgemm\` for attention` : 'OpenBLAS `cblas_sgemm`';
  const rows: Array<[string, string]> = [
    ['recipe', recipe],
    [
      'trainer',
      training.trainer
        ? `\`${training.trainer}\` (PyTorch, AdamW) on ${training.hardware ?? 'unrecorded hardware'}`
        : `\`training/native\` (C, hand-written backward, ${products}, AdamW), driven by \`training/train.ts\``,
    ],
  ];
  if (training.init_from) rows.push(['initial weights', `\`${training.init_from}\` (continued training; fresh AdamW state)`]);
  // The chain of runs that made the initial weights, the one that made them first.
  previous.forEach((run, i) => {
    const p = runTotals(run.events);
    rows.push([i === 0 ? 'those weights were trained by' : 'whose initial weights were trained by', `${run.recipe}: ${int(p.steps)} steps, ${(p.tokens / 1e6).toFixed(1)} M tokens, ${(p.seconds / 60).toFixed(0)} min`]);
  });
  if (previous.length > 0) {
    const all = [...previous.map((run) => runTotals(run.events)), { tokens: training.tokens, seconds: training.training_seconds }];
    const sum = (f: (r: { tokens: number; seconds: number }) => number) => all.reduce((a, r) => a + f(r), 0);
    rows.push([`total training (all ${all.length} runs)`, `${(sum((r) => r.tokens) / 1e6).toFixed(1)} M tokens, ${(sum((r) => r.seconds) / 60).toFixed(0)} min of training wall time`]);
  }
  rows.push(
    ['schedule', training.schedule ?? 'cosine'],
    ['steps / tokens seen (this run)', `${int(training.step)} steps × ${int(training.tokens / Math.max(1, training.step))} tokens = ${(training.tokens / 1e6).toFixed(1)} M tokens (${epochs.toFixed(2)} epoch of train.bin)`],
    ['wall time (this run)', `${(training.training_seconds / 60).toFixed(0)} min`],
  );
  if (tokS.length > 0) {
    rows.push([
      'throughput',
      `median ${int(q(tokS, 0.5))} tokens/s (10th–90th percentile ${int(q(tokS, 0.1))}–${int(q(tokS, 0.9))}); ` +
        (shares.length > 0 ? `median ${pct(q(shares, 0.5))} of \`cblas_sgemm\` on the model's own matrix shapes (per eval interval ${pct(shares[0])}–${pct(shares[shares.length - 1])}, measured in the same run)` : 'no sgemm measurement'),
    ]);
  }
  if (evals.length > 0) rows.push(['final validation loss', `${evals[evals.length - 1].val_loss.toFixed(3)} nats/token (trainer's own ${int(evals[evals.length - 1].val_tokens)}-token val windows)`]);
  return ['## Training', '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

export function evaluationSection(evalFile: EvalFile, baseline: EvalFile | undefined, command: string, baselineLabel = `previous model (\`${baseline?.modelDir}\`)`): string {
  const header = [
    '| model | val loss (nats/token) | bits/byte | next-token top-1 | line exact match | line edit similarity |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  // Rows without loss windows (FIM line completion) hold null (JSON's NaN).
  const num = (x: number | null): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : 'n/a');
  const share = (x: number | null): string => (typeof x === 'number' && Number.isFinite(x) ? pct(x) : 'n/a');
  const line = (label: string, r: EvalRow): string =>
    `| ${label} | ${num(r.valLoss)} | ${num(r.bitsPerByte)} | ${share(r.top1)} | ${pct(r.lineExact)} (${Math.round(r.lineExact * r.lines)}/${r.lines}) | ${pct(r.lineEditSim)} |`;
  const isGpt = (r: EvalRow): boolean => r.model.startsWith('GPT');
  const rows = evalFile.rows.filter(isGpt).map((r) => line(`this model: ${r.model}`, r));
  if (baseline) rows.push(...baseline.rows.filter(isGpt).map((r) => line(`${baselineLabel}: ${r.model}`, r)));
  for (const r of [...evalFile.rows, ...(baseline?.rows ?? [])].filter((x) => !isGpt(x))) rows.push(line(r.model, r));
  return [
    '## Evaluation',
    '',
    `\`${command}\` on the held-out packages of the corpus below (${int(evalFile.rows[0].tokens)} validation tokens; ${evalFile.rows[0].lines} lines completed as in CodeXGLUE: the file up to the first word of a line, greedy to the end of the line). All rows use the same data.`,
    '',
    ...header,
    ...rows,
  ].join('\n');
}

/** The example form of the FIM order a corpus meta.json records. */
function fimForm(order: FimOrder | undefined): string {
  return recordedFimOrder(order) === 'spm'
    ? '`<fim_prefix><fim_suffix>` suffix `<fim_middle>` header + prefix + middle `<|endoftext|>` (spm: the middle continues the prefix; the last three are encoded as one text)'
    : '`<fim_prefix>` header + prefix `<fim_suffix>` suffix `<fim_middle>` middle `<|endoftext|>` (psm)';
}

function corpusSection(meta: CorpusMeta): string {
  const s = meta.splits;
  const d = meta.dedupe;
  const o = meta.valOverlap;
  const f = meta.fim;
  const skipped = meta.packages.filter((p) => p.status === 'skipped');
  const lines = [
    '## Training corpus',
    '',
    'Built by `npm run corpus` from the pinned npm packages in `../shared/corpus/train-packages.txt` (integrity-checked `npm pack` tarballs; `.ts/.tsx/.js/.mjs/.cjs/.d.ts` sources; minified, bundled and generated files dropped). Validation is split **by package**, never by lines.',
    '',
    '| split | packages | files | MB | tokens | bytes/token |',
    '|---|---:|---:|---:|---:|---:|',
    ...(['train', 'val'] as const).map((k) => `| ${k} | ${s[k].packages} | ${int(s[k].files)} | ${(s[k].bytes / 1e6).toFixed(1)} | ${int(s[k].tokens)} | ${s[k].bytesPerToken} |`),
    '',
    `Duplicates removed before training (tokens counted as plain text): build copies of one module (TypeScript source kept over its compiled \`.js\`/\`.d.ts\`; one of its esm/cjs/umd builds), exact copies, and near copies (MinHash, Jaccard ≥ 0.8), across all packages.`,
    '',
    '| split | files before | files after | tokens before | tokens after | removed |',
    '|---|---:|---:|---:|---:|---:|',
    ...(['train', 'val'] as const).map((k) => `| ${k} | ${int(d[k].filesBefore)} | ${int(d[k].filesAfter)} | ${int(d[k].tokensBefore)} | ${int(d[k].tokensAfter)} | ${pct(1 - d[k].tokensAfter / d[k].tokensBefore)} of tokens |`),
    '',
    `Removed files by reason: ${Object.entries(d.removedByReason).map(([r, n]) => `${r} ${int(n)}`).join(', ')}.`,
    '',
    `Validation files sharing more than ${o.maxFraction * 100}% of their content lines (trimmed, ≥ 10 characters) with one training file were dropped: ${int(o.droppedFiles)} of ${int(o.checkedFiles)} files (${int(o.droppedTokens)} tokens).`,
    '',
    `Fill-in-the-middle: ${pct(f.rate)} of the training files (by a hash of the path) are written as ${fimForm(f.order)}, the order of the extension's FIM prompt, cut from line-aligned pieces of at most ${int(f.maxPieceBytes)} bytes (the middle touches 1–${f.maxMiddleLines} lines; it starts at a line start, after the indentation or inside a line and ends before or after a newline or inside a line, where an editor's cursor is): ${int(f.files)} files, ${int(f.examples)} examples (${int(f.plainPieces)} pieces without a valid cut stay plain). Validation data stays left-to-right, so validation losses compare with a model trained without FIM.`,
    '',
    `Skipped packages: ${skipped.length === 0 ? 'none' : skipped.map((p) => `${p.name}@${p.version} (${p.skipReason})`).join('; ')}.`,
    '',
    'Packages, licences and what each contributed:',
    '',
    '| package | licence | split | files | tokens |',
    '|---|---|---|---:|---:|',
    ...meta.packages.map((p) => `| ${p.name}@${p.version} | ${p.license} | ${p.split} | ${int(p.files)} | ${int(p.tokens)} |`),
  ];
  return lines.join('\n');
}

function main(): void {
  const o = new Command()
    .name('model-card')
    .requiredOption('--meta <file>', 'corpus meta.json')
    .requiredOption('--train-log <file>', 'the run\'s log.jsonl')
    .requiredOption('--training <file>', 'the exported training.json')
    .requiredOption('--eval <file>', 'eval JSON of the model')
    .option('--baseline-eval <file>', 'eval JSON of the model it is compared with')
    .option('--baseline-label <text>', 'what to call that model in the table')
    .requiredOption('--recipe <text>', 'the commands that reproduce the model (Markdown)')
    .option('--eval-command <text>', 'the eval command line', 'npm run eval')
    .option('--preamble <file>', 'Markdown put before the generated sections')
    .option('--previous-train-log <file>', 'log.jsonl of the run that trained the initial weights; repeat for the run before that, and so on', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--previous-recipe <text>', 'how those weights were trained (Markdown); one per --previous-train-log, same order', (v: string, all: string[]) => [...all, v], [] as string[])
    .requiredOption('--out <file>', 'where to write the Markdown')
    .parse()
    .opts<{ meta: string; trainLog: string; training: string; eval: string; baselineEval?: string; baselineLabel?: string; recipe: string; evalCommand: string; preamble?: string; previousTrainLog: string[]; previousRecipe: string[]; out: string }>();
  const readLog = (file: string): TrainerEvent[] => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TrainerEvent);
  const events = readLog(o.trainLog);
  if (o.previousRecipe.length > o.previousTrainLog.length) throw new Error('--previous-recipe: more recipes than --previous-train-log files');
  const previous = o.previousTrainLog.map((file, i) => ({ recipe: o.previousRecipe[i] ?? file, events: readLog(file) }));
  const parts = [
    ...(o.preamble ? [fs.readFileSync(o.preamble, 'utf8').trim()] : []),
    trainingSection(readJson<TrainingJson>(o.training), events, o.recipe, previous),
    evaluationSection(readJson<EvalFile>(o.eval), o.baselineEval ? readJson<EvalFile>(o.baselineEval) : undefined, o.evalCommand, o.baselineLabel),
    corpusSection(readJson<CorpusMeta>(o.meta)),
    // Filled by `npx tsx eval/report.ts <results> --model-card <README.md>` (or eval:editor --model-card).
    ['## Editor path', '', EDITOR_BLOCK.begin, EDITOR_BLOCK.end].join('\n'),
  ];
  fs.writeFileSync(o.out, parts.join('\n\n') + '\n');
}

if (require.main === module) main();
