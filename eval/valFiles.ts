/**
 * `npx tsx eval/valFiles.ts --out data/eval-val/val-files.jsonl [--cache DIR] [--offline] [--packages a,b]`
 *
 * The held-out files of the corpus (the validation packages of ../shared/corpus/train-packages.txt,
 * chosen by training/corpus/splitPackages.ts) without building the whole corpus: the same package
 * filter, deduplication and size cap as `npm run corpus` (training/corpus/buildCorpus.ts), val
 * packages only, written in the layout of data/corpus/val-files.jsonl (`{package, path, text}` per
 * line). For the editor-path evaluation before a corpus is built; a built corpus's own
 * val-files.jsonl is the same set when built with the same options.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { collectPackage } from '../training/corpus/buildCorpus';
import { Deduplicator } from '../training/corpus/dedupe';
import { parsePackageList } from '../training/corpus/packageList';
import { assignSplits } from '../training/corpus/splitPackages';
import { DEFAULT_FIM_OPTIONS } from '../training/corpus/fim';

const program = new Command()
  .name('eval-val-files')
  .description('Write the corpus validation files (val packages only) as val-files.jsonl')
  .requiredOption('--out <file>', 'output val-files.jsonl')
  .option('--packages-list <file>', 'package list', '../shared/corpus/train-packages.txt')
  .option('--cache <dir>', 'tarball cache (npm pack)', 'data/npm-cache')
  .option('--offline', 'use cached tarballs only', false)
  .option('--val-fraction <x>', 'as npm run corpus --val-fraction', parseFloat, 0.1)
  .option('--only <names>', 'comma-separated subset of the val packages (a smaller set, same files per package)')
  .parse();
const o = program.opts<{ out: string; packagesList: string; cache: string; offline: boolean; valFraction: number; only?: string }>();

const entries = parsePackageList(readFileSync(o.packagesList, 'utf8'), o.packagesList);
const splits = assignSplits(entries, { valFraction: o.valFraction });
let val = entries.filter((e) => splits.get(e.name) === 'val');
if (o.only) {
  const only = o.only.split(',').map((s) => s.trim());
  for (const name of only) if (!val.some((e) => e.name === name)) throw new Error(`--only: ${name} is not a validation package (val: ${val.map((e) => e.name).join(', ')})`);
  val = val.filter((e) => only.includes(e.name));
}
// npm run corpus's defaults (training/corpus.ts).
const options = {
  packageList: o.packagesList, cacheDir: o.cache, outDir: dirname(o.out), vocabSize: 8192, minFrequency: 2, valFraction: o.valFraction,
  tokenizerSampleBytes: 64e6, maxFileBytes: 200 * 1024, minPackageBytes: 2000, maxPackageBytes: 6 * 1024 * 1024, modelMaxLength: 1024,
  offline: o.offline, log: (m: string) => console.error(m), fim: DEFAULT_FIM_OPTIONS, maxValOverlap: 0.3,
};
const dedupe = new Deduplicator();
const lines: string[] = [];
for (const entry of val) {
  const { report, docs } = collectPackage(entry, 'val', dedupe, options, []);
  console.error(`  ${entry.spec.padEnd(40)} ${report.status === 'ok' ? `${report.files} files, ${(report.bytes / 1e6).toFixed(2)} MB` : `skipped: ${report.skipReason}`}`);
  for (const d of docs) lines.push(JSON.stringify({ package: d.packageName, path: d.file.path, text: d.file.text }));
}
if (lines.length === 0) throw new Error('no validation files: every val package was skipped (see above)');
mkdirSync(dirname(o.out), { recursive: true });
writeFileSync(o.out, lines.join('\n') + '\n');
console.error(`${lines.length} files -> ${o.out}`);
