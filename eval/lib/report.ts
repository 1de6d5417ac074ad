/**
 * EVAL.md (and the tables a model card can include) from one results file: nothing in it is typed
 * by hand. `renderEval` is a pure function of the results, so a test can check that the committed
 * EVAL.md is the one its results file gives.
 */
import { fmt, table } from '../../bench/lib/markdown';
import type { KindSummary } from './metrics';
import type { EvalResults, VariantResult } from './results';
import { DEFAULT_DECODING, FEATURES, FEATURE_NAMES } from './variants';

/** The decoding variants may be at most this much slower (p50, all positions) than the default decoding. */
const DECODING_LATENCY_BUDGET = 1.2;

const KIND_LABELS: Record<string, string> = {
  freshLine: 'fresh line (at its indentation)',
  afterFirstWord: 'after the first word',
  midIdentifier: 'middle of an identifier',
  afterDot: 'after a `.`',
  blockBody: 'empty block body (multi-line)',
};

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const ms = (x: number) => `${fmt.ms(x)} ms`;

function kindTable(summaries: readonly KindSummary[]): string {
  return table(
    ['position', 'n', 'first-line exact', 'first-line edit sim.', 'whole-suggestion edit sim.', 'empty', 'repetition', 'Tab accepts', 'latency p50', 'latency p95'],
    summaries.map((s) => [KIND_LABELS[s.kind] ?? s.kind, s.positions, pct(s.exact), pct(s.editSim), s.fullEditSim === null ? '—' : pct(s.fullEditSim), pct(s.empty), pct(s.repetition), pct(s.tabAcceptable), ms(s.latencyP50), ms(s.latencyP95)]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

/** One row per variant (or model: `rowName`): first-line exact / edit similarity per kind, then the overall rates. */
function comparisonTable(variants: readonly VariantResult[], rowName = 'variant'): string {
  const kinds = variants[0].summaries.map((s) => s.kind);
  return table(
    [rowName, ...kinds.map((k) => `${k} exact / sim.`), 'empty', 'repetition', 'Tab accepts', 'p50', 'p95'],
    variants.map((v) => [
      v.name,
      ...kinds.map((k) => {
        const s = v.summaries.find((x) => x.kind === k)!;
        return `${pct(s.exact)} / ${pct(s.editSim)}`;
      }),
      pct(v.overall.empty),
      pct(v.overall.repetition),
      pct(v.overall.tabAcceptable),
      ms(v.overall.latencyP50),
      ms(v.overall.latencyP95),
    ]),
    ['l', ...kinds.map(() => 'r' as const), 'r', 'r', 'r', 'r', 'r'],
  );
}

/** The best decoding within the latency budget: highest mean first-line edit similarity, then exact match. */
export function bestDecoding(variants: readonly VariantResult[]): { best: VariantResult; budgetMs: number; over: VariantResult[] } | null {
  const decoding = variants.filter((v) => v.suite === 'decoding');
  const base = decoding.find((v) => v.name === DEFAULT_DECODING);
  if (!base || decoding.length < 2) return null;
  const budgetMs = base.overall.latencyP50 * DECODING_LATENCY_BUDGET;
  const within = decoding.filter((v) => v.overall.latencyP50 <= budgetMs);
  const best = [...within].sort((a, b) => b.overall.editSim - a.overall.editSim || b.overall.exact - a.overall.exact)[0];
  return { best, budgetMs, over: decoding.filter((v) => !within.includes(v)) };
}

function featureLine(v: VariantResult): string {
  return FEATURE_NAMES.map((f) => `${FEATURES[f].label}: ${v.features[f]}`).join(', ');
}

/** The tables alone (for a model card): the main variant's per-kind table and the copy oracle. */
export function renderModelCardTables(r: EvalResults): string {
  const main = r.variants[0];
  return [
    `Editor-path evaluation (\`${r.command}\`, ${r.sample.positions} positions from ${r.data.packages.length} held-out packages, variant "${main.name}"):`,
    '',
    kindTable(main.summaries),
  ].join('\n');
}

export function renderEval(r: EvalResults, resultsFile: string): string {
  const out: string[] = [];
  out.push('# Editor-path evaluation');
  out.push('');
  out.push(`<!-- Generated from ${resultsFile} by eval/lib/report.ts; do not edit by hand (regenerate: npx tsx eval/report.ts ${resultsFile}). -->`);
  out.push('');
  out.push(
    `Held-out files (validation packages of the corpus: ${r.data.packages.join(', ')}; ${r.data.files} files from \`${r.data.file}\`) replayed ` +
      'through the extension\'s pipeline (context → prompt → worker → post-processing, the headless session of `npm run complete -- --batch`) ' +
      'at the positions an editor has. The buffer is the file with what the user has not typed yet removed; the workspace is the rest of the ' +
      'package (the edited file is never read from disk).',
  );
  out.push('');
  out.push(`- command: \`${r.command}\`; results: \`${resultsFile}\``);
  out.push(`- model: ${r.model.name} (\`${r.model.onnxFile}\`, ${r.model.backend}); commit ${r.commit}; ${r.createdAt}`);
  out.push(
    `- sample: ${r.sample.perKind} positions per kind (seed ${r.sample.seed}), ${r.sample.positions} in all; machine: ${r.machine.cpus} CPUs, load average ${r.machine.loadAverage.map((x) => x.toFixed(1)).join(' / ')} at the end ` +
      '(latencies are noisy on a shared machine; the variants of a suite run side by side, each position by each variant in turn, so they share the load)',
  );
  out.push(
    '- metrics: first line of the suggestion vs the line the user typed (exact match; edit similarity = 1 − Levenshtein / longer length, trailing whitespace removed; ' +
      'an empty suggestion scores 0); empty = no suggestion shown; repetition and Tab accepts are shares of the suggestions shown (repetition: two lines of one shape, ' +
      'or a copy of the line above; Tab: `src/completion/tabAcceptance.ts`, the tab size detected from the file); latency = the pipeline call, model loaded.',
  );
  out.push('');
  for (const v of r.variants) {
    out.push(`## ${v.name}`);
    out.push('');
    out.push(`Settings over the defaults: \`${JSON.stringify(v.overrides)}\`; ${featureLine(v)}; ${v.completionSeconds.toFixed(0)} s in its completions.`);
    out.push('');
    out.push(kindTable(v.summaries));
    out.push('');
  }
  const suites = (['ablation', 'decoding'] as const).map((s) => r.variants.filter((v) => v.suite === s));
  if (suites[0].length > 1) {
    out.push('## Ablation');
    out.push('');
    out.push(comparisonTable(suites[0]));
    out.push('');
  }
  if (suites[1].length > 1) {
    out.push('## Single-line decoding');
    out.push('');
    out.push('First line only (`multiline: never` in every variant).');
    out.push('');
    out.push(comparisonTable(suites[1]));
    out.push('');
    const b = bestDecoding(r.variants);
    if (b) {
      out.push(
        `Best within the latency budget (p50 ≤ ${DECODING_LATENCY_BUDGET} × "${DEFAULT_DECODING}" = ${ms(b.budgetMs)}), by mean first-line edit similarity: **${b.best.name}**` +
          ` (${pct(b.best.overall.editSim)} edit similarity, ${pct(b.best.overall.exact)} exact)` +
          (b.over.length ? `; over the budget: ${b.over.map((v) => `${v.name} (${ms(v.overall.latencyP50)})`).join(', ')}.` : '.'),
      );
      out.push('');
    }
  }
  out.push('## Copy oracle');
  out.push('');
  out.push('Share of target lines (the whole line, trimmed) already present verbatim earlier in the same file, or in another file of the workspace: what a model that copies could win at most.');
  out.push('');
  out.push(
    table(
      ['position', 'n', 'earlier in the file', 'in another workspace file'],
      r.oracle.map((o) => [KIND_LABELS[o.kind] ?? o.kind, o.positions, pct(o.earlierInFile), pct(o.otherWorkspaceFile)]),
      ['l', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  return out.join('\n');
}

/** Where a markdown file (the model card) takes the editor-path tables. */
export const EDITOR_BLOCK = { begin: '<!-- EVAL:EDITOR:BEGIN (generated by eval/report.ts) -->', end: '<!-- EVAL:EDITOR:END -->' } as const;

/** `markdown` with the block between `<!-- EVAL:EDITOR:BEGIN -->` and `<!-- EVAL:EDITOR:END -->` replaced by `tables`. */
export function replaceBlock(markdown: string, tables: string): string {
  const { begin, end } = EDITOR_BLOCK;
  const a = markdown.indexOf(begin);
  const b = markdown.indexOf(end);
  if (a < 0 || b < a) throw new Error(`no ${begin} ... ${end} block to replace`);
  return markdown.slice(0, a + begin.length) + '\n' + tables + '\n' + markdown.slice(b);
}

/** One labelled results file, e.g. a model's run. */
export interface LabelledResults {
  label: string;
  results: EvalResults;
}

/** What makes two runs comparable: the same held-out files and the same sampled positions. */
function sampleKey(r: EvalResults): string {
  return JSON.stringify({ packages: r.data.packages, files: r.data.files, seed: r.sample.seed, perKind: r.sample.perKind, kinds: r.sample.kinds });
}

/**
 * Models side by side: for every variant all runs have, one row per run (its label) with the first-line
 * numbers per position kind. Runs of different samples (files, seed, positions per kind, kinds) are refused,
 * since their numbers would not be comparable.
 */
export function renderModelComparison(runs: readonly LabelledResults[]): string {
  if (runs.length === 0) throw new Error('no results to compare');
  const mismatch = runs.find((r) => sampleKey(r.results) !== sampleKey(runs[0].results));
  if (mismatch) throw new Error(`${mismatch.label}: another sample than ${runs[0].label} (held-out files, seed, --per-kind or kinds differ); run both the same way`);
  const names = runs[0].results.variants.map((v) => v.name).filter((name) => runs.every((r) => r.results.variants.some((v) => v.name === name)));
  if (names.length === 0) throw new Error('the runs have no variant in common');
  const out = [
    `Editor-path evaluation, ${runs[0].results.sample.positions} positions (seed ${runs[0].results.sample.seed}) from ${runs[0].results.data.packages.length} held-out packages:`,
    '',
    ...runs.map((r) => `- ${r.label}: \`${r.results.command}\` (model ${r.results.model.name}, \`${r.results.model.onnxFile}\`, ${r.results.model.backend}; ${r.results.createdAt})`),
  ];
  for (const name of names) {
    out.push('', `### ${name}`, '', comparisonTable(runs.map((r) => ({ ...r.results.variants.find((v) => v.name === name)!, name: r.label })), 'model'));
  }
  return out.join('\n');
}
