/**
 * Export cell: writes a random-weight model folder with the project's exporter (own process, so the
 * ~2 GB a GPT-2-small export holds at its peak is returned when it ends). Writes to a temp folder
 * next to the target and renames, so an interrupted export never leaves a half folder behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GptConfig } from '../../src/model/config';
import { exportModelFolder } from '../../src/model/export/hfFolder';
import { randomModel } from '../../src/model/random';
import { cellMain } from '../lib/child';

interface ExportInput {
  config: GptConfig;
  tokenizerDir: string;
  outDir: string;
  name: string;
  card: string;
}

cellMain<ExportInput, { ms: number }>(async (input) => {
  const started = performance.now();
  const temp = `${input.outDir}.partial-${process.pid}`;
  fs.rmSync(temp, { recursive: true, force: true });
  const weights = randomModel(input.config, 0);
  exportModelFolder({
    config: input.config,
    weights,
    tokenizerDir: input.tokenizerDir,
    outDir: temp,
    name: input.name,
    modelCard: input.card,
    log: (line) => console.log(line),
  });
  fs.rmSync(input.outDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(input.outDir), { recursive: true });
  fs.renameSync(temp, input.outDir);
  return { ms: performance.now() - started };
});
