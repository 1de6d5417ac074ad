/**
 * `npx tsx eval/report.ts [RESULTS.json] [--markdown EVAL.md] [--model-card FILE]`
 *
 * Regenerates EVAL.md (and the model-card tables) from a results file of `npm run eval:editor`,
 * without running anything.
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { renderEval, renderModelCardTables, replaceBlock } from './lib/report';
import type { EvalResults } from './lib/results';

const program = new Command()
  .name('eval-report')
  .argument('[results]', 'results JSON of npm run eval:editor', 'eval/results/editor.json')
  .option('--markdown <file>', 'report to write', 'EVAL.md')
  .option('--model-card <file>', 'also replace the EVAL:EDITOR block of this markdown file')
  .parse();
const [resultsFile] = program.processedArgs as [string];
const o = program.opts<{ markdown: string; modelCard?: string }>();
const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as EvalResults;
fs.writeFileSync(o.markdown, renderEval(results, resultsFile));
if (o.modelCard) fs.writeFileSync(o.modelCard, replaceBlock(fs.readFileSync(o.modelCard, 'utf8'), renderModelCardTables(results)));
console.error(`wrote ${o.markdown}${o.modelCard ? ` and ${o.modelCard}` : ''} from ${resultsFile}`);
