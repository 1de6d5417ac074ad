/**
 * `tsx training/plotLoss.ts --out chart.png LABEL=training/runs/<run>/log.jsonl ...`
 *
 * PNG of validation loss (the trainer's eval events) against training minutes, one line per run log, in the
 * colours of SERIES_COLORS (blue, orange, green, ...), printed with each label so the Markdown can name them.
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { renderLossChart, SERIES_COLORS, type Series } from './plot/lossChart';
import { encodePng } from './plot/png';
import type { TrainerEvent } from './trainer/run';

/** [minutes, val_loss] of every eval, timed by the elapsed_s of the step event it follows. */
function valLossCurve(events: readonly TrainerEvent[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let minutes = 0;
  for (const e of events) {
    if (e.event === 'step') minutes = e.elapsed_s / 60;
    else if (e.event === 'eval') out.push([minutes, e.val_loss]);
  }
  return out;
}

function main(): void {
  const program = new Command()
    .name('plot-loss')
    .argument('<runs...>', 'LABEL=log.jsonl pairs')
    .requiredOption('--out <file>', 'PNG to write')
    .option('--width <n>', 'pixels', (v) => parseInt(v, 10), 640)
    .option('--height <n>', 'pixels', (v) => parseInt(v, 10), 400)
    .parse();
  const o = program.opts<{ out: string; width: number; height: number }>();
  const series: Series[] = program.args.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new Error(`expected LABEL=log.jsonl, got "${arg}"`);
    const file = arg.slice(eq + 1);
    const events = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TrainerEvent);
    return { label: arg.slice(0, eq), points: valLossCurve(events) };
  });
  fs.writeFileSync(o.out, encodePng(renderLossChart(series, o.width, o.height)));
  series.forEach((s, i) => console.log(`${SERIES_COLORS[i].name}: ${s.label} (${s.points.length} evals)`));
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(`plot-loss: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
