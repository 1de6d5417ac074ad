/**
 * `tsx training/plotLoss.ts --out chart.png [--markdown table.md] LABEL=training/runs/<run>/log.jsonl ...`
 *
 * PNG of validation loss (the trainer's eval events) against training minutes, one line per run log, in the
 * colours of SERIES_COLORS (blue, orange, green, ...), printed with each label so the Markdown can name them.
 * With --markdown, also a table of the same runs (an A/B's numbers, generated from the logs).
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { renderLossChart, SERIES_COLORS, type Series } from './plot/lossChart';
import { encodePng } from './plot/png';
import { eventsOf, type TrainerEvent } from './trainer/run';

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

/** One row per run: its evals (step: val loss @ minutes), steps, median tokens/s and the kernels it reported. */
export function runsTable(runs: ReadonlyArray<{ label: string; events: readonly TrainerEvent[] }>): string {
  const rows = runs.map(({ label, events }) => {
    const steps = eventsOf(events, 'step');
    const tokS = steps.slice(1).map((e) => e.tok_s).sort((a, b) => a - b);
    const kernels = eventsOf(events, 'matmul')[0]?.kernels ?? '—';
    const curve = valLossCurve(events);
    const evalSteps = events.flatMap((e) => (e.event === 'eval' ? [e.step] : []));
    const evals = curve.map(([minutes, loss], i) => `${evalSteps[i]}: ${loss.toFixed(4)} @ ${minutes.toFixed(1)} min`).join('; ');
    const last = curve.at(-1);
    const median = tokS.length ? Math.round(tokS[Math.floor(tokS.length / 2)]) : NaN;
    return `| ${label} | ${last ? last[1].toFixed(4) : '—'} | ${steps.at(-1)?.step ?? 0} | ${steps.at(-1)?.tokens ?? 0} | ${median} | ${kernels} | ${evals} |`;
  });
  return ['| run | final val loss | steps | tokens | median tokens/s | matrix-product kernels | val loss by step (step: loss @ minutes) |', '|---|---:|---:|---:|---:|---|---|', ...rows].join('\n');
}

function main(): void {
  const program = new Command()
    .name('plot-loss')
    .argument('<runs...>', 'LABEL=log.jsonl pairs')
    .requiredOption('--out <file>', 'PNG to write')
    .option('--width <n>', 'pixels', (v) => parseInt(v, 10), 640)
    .option('--height <n>', 'pixels', (v) => parseInt(v, 10), 400)
    .option('--markdown <file>', 'also write a table of the runs')
    .parse();
  const o = program.opts<{ out: string; width: number; height: number; markdown?: string }>();
  const runs = program.args.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new Error(`expected LABEL=log.jsonl, got "${arg}"`);
    const file = arg.slice(eq + 1);
    const events = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TrainerEvent);
    return { label: arg.slice(0, eq), events };
  });
  const series: Series[] = runs.map(({ label, events }) => ({ label, points: valLossCurve(events) }));
  fs.writeFileSync(o.out, encodePng(renderLossChart(series, o.width, o.height)));
  if (o.markdown) fs.writeFileSync(o.markdown, `${runsTable(runs)}\n`);
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
