/**
 * `npm run eval:editor [-- --per-kind 40 --seed 1 --suite all|ablation|decoding --variants "a,b" --set localGpt.k=v --model DIR]`
 *
 * The editor-path evaluation (issue #16): held-out files (the corpus validation packages,
 * `<data>/val-files.jsonl`) replayed through the extension's pipeline by the same headless session as
 * `npm run complete -- --batch`, at the positions an editor has (eval/lib/positions.ts), once per
 * settings variant (eval/lib/variants.ts). Writes the results JSON (eval/results/), EVAL.md at the
 * repo root and the model-card tables, all generated from the JSON (eval/lib/report.ts).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { parseSettingAssignment, type SettingOverrides } from '../src/config/overrides';
import { readValFiles } from '../training/trainer/lineCompletion';
import { HEADLESS_DEFAULTS } from '../scripts/lib/completeArgs';
import { CompletionSession } from '../scripts/lib/completionSession';
import { median, quantileSorted } from '../bench/lib/stats';
import { copyOracle, scorePosition, summarizeKind, type ScoredPosition } from './lib/metrics';
import { POSITION_KINDS, samplePositions, type EvalPosition, type PositionKind, type ValFile } from './lib/positions';
import { renderEval, renderModelCardTables, replaceBlock } from './lib/report';
import type { EvalResults, VariantResult } from './lib/results';
import { SUITES, resolveVariant, selectVariants, type ResolvedVariant, type Suite } from './lib/variants';

const ROOT = path.resolve(__dirname, '..');

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
};

/** Writes each package's files into its own workspace folder; the file being edited is taken off disk while its positions run. */
class Workspaces {
  private readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'lgpt-eval-ws-'));
  private readonly written = new Set<string>();
  constructor(private readonly files: readonly ValFile[]) {}

  dirOf(pkg: string): string {
    const dir = path.join(this.root, pkg.replace(/^@/, '').replace(/\//g, '__'));
    if (!this.written.has(pkg)) {
      for (const f of this.files.filter((x) => x.package === pkg)) {
        const file = path.join(dir, f.path);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, f.text);
      }
      this.written.add(pkg);
    }
    return dir;
  }

  /** Runs `fn` with `relPath` of `pkg` absent from disk (the buffer is the only copy of the document). */
  async without<T>(pkg: string, relPath: string, fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = this.dirOf(pkg);
    const file = path.join(dir, relPath);
    const text = fs.readFileSync(file, 'utf8');
    fs.rmSync(file);
    try {
      return await fn(dir);
    } finally {
      fs.writeFileSync(file, text);
    }
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Summary of one variant's scored positions. */
function variantResult(variant: ResolvedVariant, runOverrides: SettingOverrides, kinds: readonly PositionKind[], scored: ScoredPosition[]): VariantResult {
  const summaries = kinds.map((k) => summarizeKind(k, scored));
  const latencies = scored.map((s) => s.latencyMs).sort((a, b) => a - b);
  const defined = (xs: (number | null)[]) => (xs.every((x) => x !== null) ? mean(xs as number[]) : null);
  return {
    name: variant.name,
    suite: variant.suite,
    overrides: { ...runOverrides, ...variant.overrides },
    features: variant.features,
    summaries,
    overall: {
      exact: mean(summaries.map((s) => s.exact)),
      editSim: mean(summaries.map((s) => s.editSim)),
      empty: mean(summaries.map((s) => s.empty)),
      repetition: defined(summaries.map((s) => s.repetition)),
      tabAcceptable: defined(summaries.map((s) => s.tabAcceptable)),
      latencyP50: median(latencies),
      latencyP95: quantileSorted(latencies, 0.95),
    },
    completionSeconds: latencies.reduce((a, b) => a + b, 0) / 1000,
    positions: scored,
  };
}

/**
 * Runs a suite's variants side by side, one session (model worker) each: every position is
 * completed by each variant in turn, so they see the same machine load (latencies on a shared
 * machine drift over minutes) and each session the same sequence of documents (its KV cache reuse).
 */
async function runSuite(
  variants: readonly ResolvedVariant[],
  positions: readonly EvalPosition[],
  kinds: readonly PositionKind[],
  common: { overrides: SettingOverrides; model: string; workspaces: Workspaces; log: (m: string) => void },
): Promise<{ results: VariantResult[]; model: EvalResults['model'] }> {
  const sessions = variants.map(
    (v) => new CompletionSession({ overrides: { ...HEADLESS_DEFAULTS, ...common.overrides, ...v.overrides }, model: common.model, cacheDir: path.join(ROOT, '.cache', 'models'), bundle: false, log: common.log }),
  );
  const started = performance.now();
  try {
    const infos = [];
    for (const s of sessions) infos.push(await s.load());
    const scored: ScoredPosition[][] = variants.map(() => []);
    let workspace: string | null = null;
    for (const [i, p] of positions.entries()) {
      await common.workspaces.without(p.package, p.path, async (dir) => {
        if (dir !== workspace) {
          workspace = dir;
          for (const s of sessions) await s.useWorkspace(dir);
        }
        for (const [v, session] of sessions.entries()) {
          const out = await session.completeAt({ file: p.path, line: p.line, column: p.column, text: p.text }, `${p.package}/${p.path}`);
          scored[v].push(scorePosition(p, out.completion, out.latencyMs, out.reason));
        }
      });
      if ((i + 1) % 25 === 0) common.log(`  ${i + 1}/${positions.length} positions x ${variants.length} variants, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
    const info = infos[0];
    return {
      results: variants.map((v, i) => variantResult(v, common.overrides, kinds, scored[i])),
      model: { name: info.name, dir: path.relative(ROOT, info.dir) || info.dir, onnxFile: info.onnxFile, backend: info.backend },
    };
  } finally {
    for (const s of sessions) await s.dispose();
  }
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .name('eval:editor')
    .description('Editor-path evaluation: held-out files through the extension pipeline at editor positions, per settings variant')
    .option('--data <dir>', 'corpus folder holding val-files.jsonl (npm run corpus; or npx tsx eval/valFiles.ts --out <dir>/val-files.jsonl)', 'data/corpus')
    .option('--per-kind <n>', 'positions per position kind', positiveInt, 30)
    .option('--seed <n>', 'seed of the position sample and of sampling decoding', (v) => parseInt(v, 10), 1)
    .option('--kinds <list>', `comma-separated position kinds (${POSITION_KINDS.join(', ')})`)
    .option('--suite <name>', `variants to run: ${SUITES.join(' | ')} | all`, 'all')
    .option('--variants <names>', 'comma-separated variant names instead of a suite (eval/lib/variants.ts)')
    .option('--set <key=value>', 'a setting for every variant (localGpt.temperature=0); repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--model <dir|id>', 'model folder or id; default: localGpt.model, else the embedded model', '')
    .option('--out <file>', 'results JSON', 'eval/results/editor.json')
    .option('--markdown <file>', 'generated report', 'EVAL.md')
    .option('--model-card <file>', 'also replace the EVAL:EDITOR block of this markdown file with the tables')
    .parse();
  const o = program.opts<{ data: string; perKind: number; seed: number; kinds?: string; suite: string; variants?: string; set: string[]; model: string; out: string; markdown: string; modelCard?: string }>();
  const log = (m: string) => console.error(m);

  if (o.suite !== 'all' && !SUITES.includes(o.suite as Suite)) throw new Error(`--suite must be one of ${SUITES.join(', ')}, all; got ${JSON.stringify(o.suite)}`);
  const kinds = o.kinds ? (o.kinds.split(',').map((k) => k.trim()) as PositionKind[]) : [...POSITION_KINDS];
  for (const k of kinds) if (!POSITION_KINDS.includes(k)) throw new Error(`--kinds: unknown kind ${JSON.stringify(k)} (kinds: ${POSITION_KINDS.join(', ')})`);
  const common: SettingOverrides = { seed: o.seed, ...Object.fromEntries(o.set.map(parseSettingAssignment)) };
  // Every variant is resolved before anything runs: a missing setting fails now, not after an hour.
  const variants = selectVariants(o.suite as Suite | 'all', o.variants?.split(',').map((s) => s.trim())).map(resolveVariant);

  const commit = gitCommit(); // the code that runs, read before anything else can change
  const valFile = path.join(o.data, 'val-files.jsonl');
  const files = readValFiles(valFile);
  const positions = samplePositions(files, o.perKind, o.seed, kinds);
  const packages = [...new Set(files.map((f) => f.package))].sort();
  log(`eval:editor: ${files.length} held-out files of ${packages.length} packages, ${positions.length} positions (${kinds.map((k) => `${k} ${positions.filter((p) => p.kind === k).length}`).join(', ')}), ${variants.length} variants`);

  const workspaces = new Workspaces(files);
  const results: VariantResult[] = [];
  let model: EvalResults['model'] | null = null;
  try {
    for (const suite of SUITES) {
      const mine = variants.filter((v) => v.suite === suite);
      if (mine.length === 0) continue;
      log(`${suite}: ${mine.map((v) => `"${v.name}" ${JSON.stringify({ ...common, ...v.overrides })}`).join(', ')}`);
      const run = await runSuite(mine, positions, kinds, { overrides: common, model: o.model, workspaces, log });
      results.push(...run.results);
      model ??= run.model;
      for (const r of run.results) {
        const s = r.overall;
        log(`  ${r.name}: exact ${(100 * s.exact).toFixed(1)}%, edit sim ${(100 * s.editSim).toFixed(1)}%, empty ${(100 * s.empty).toFixed(1)}%, p50 ${s.latencyP50.toFixed(0)} ms`);
      }
    }
  } finally {
    workspaces.dispose();
  }

  const argv = process.argv.slice(2).map((a) => (/^[\w./:=,-]+$/.test(a) ? a : JSON.stringify(a)));
  const results_: EvalResults = {
    command: ['npm run eval:editor', ...(argv.length ? ['--', ...argv] : [])].join(' '),
    createdAt: new Date().toISOString(),
    commit,
    machine: { cpus: os.cpus().length, loadAverage: os.loadavg() },
    model: model!,
    data: { file: valFile, packages, files: files.length },
    sample: { seed: o.seed, perKind: o.perKind, kinds, positions: positions.length },
    oracle: kinds.map((k) => copyOracle(k, positions, files)),
    variants: results,
  };
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify(results_, null, 1) + '\n');
  fs.writeFileSync(o.markdown, renderEval(results_, o.out));
  const cardTables = o.out.replace(/\.json$/, '') + '-model-card.md';
  fs.writeFileSync(cardTables, renderModelCardTables(results_) + '\n');
  if (o.modelCard) fs.writeFileSync(o.modelCard, replaceBlock(fs.readFileSync(o.modelCard, 'utf8'), renderModelCardTables(results_)));
  log(`wrote ${o.out}, ${o.markdown}, ${cardTables}${o.modelCard ? `, ${o.modelCard}` : ''}`);
}

main().catch((e: unknown) => {
  console.error(`eval:editor: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
