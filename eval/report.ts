/**
 * `npx tsx eval/report.ts [RESULTS.json] [--markdown EVAL.md] [--model-card FILE]`
 * `npx tsx eval/report.ts --compare LABEL=RESULTS.json LABEL=RESULTS.json ... --markdown FILE`
 *
 * Regenerates EVAL.md (and the model-card tables) from a results file of `npm run eval:editor`,
 * or puts the runs of several models on the same sample side by side, without running anything.
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { renderEval, renderModelCardTables, renderModelComparison, replaceBlock, type LabelledResults } from './lib/report';
import type { EvalResults } from './lib/results';

const program = new Command()
  .name('eval-report')
  .argument('[results]', 'results JSON of npm run eval:editor', 'eval/results/editor.json')
  .option('--markdown <file>', 'report to write', 'EVAL.md')
  .option('--model-card <file>', 'also replace the EVAL:EDITOR block of this markdown file')
  .option('--compare <label=results...>', 'put these runs (of one sample) side by side instead, written to --markdown')
  .parse();
const readResults = (file: string): EvalResults => JSON.parse(fs.readFileSync(file, 'utf8')) as EvalResults;

function compare(pairs: readonly string[], markdown: string): void {
  const runs: LabelledResults[] = pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--compare: expected LABEL=results.json, got ${JSON.stringify(pair)}`);
    return { label: pair.slice(0, eq), results: readResults(pair.slice(eq + 1)) };
  });
  fs.writeFileSync(markdown, renderModelComparison(runs) + '\n');
  console.error(`wrote ${markdown} from ${runs.length} results files`);
}

const [resultsFile] = program.processedArgs as [string];
const o = program.opts<{ markdown: string; modelCard?: string; compare?: string[] }>();
if (o.compare) {
  // never overwrite EVAL.md with a comparison by leaving the option out
  if (program.getOptionValueSource('markdown') === 'default') program.error('--compare needs --markdown <file>');
  compare(o.compare, o.markdown);
} else {
  const results = readResults(resultsFile);
  fs.writeFileSync(o.markdown, renderEval(results, resultsFile));
  if (o.modelCard) fs.writeFileSync(o.modelCard, replaceBlock(fs.readFileSync(o.modelCard, 'utf8'), renderModelCardTables(results)));
  console.error(`wrote ${o.markdown}${o.modelCard ? ` and ${o.modelCard}` : ''} from ${resultsFile}`);
}
