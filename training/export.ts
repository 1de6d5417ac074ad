/**
 * `tsx training/export.ts --weights DIR --tokenizer DIR --out models/NAME`
 *
 * Turns a trainer output (DIR/config.json + DIR/model.safetensors, e.g. training/runs/<name>/final)
 * and a tokenizer directory (tokenizer.json + tokenizer_config.json, e.g. data/corpus/tokenizer)
 * into a model folder in the Hugging Face layout (docs/ARCHITECTURE.md), then checks the ONNX
 * files against the reference forward pass and the folder with checkExportedFolder.
 *
 *   --random-weights   ignore DIR/model.safetensors and export randomModel(config, 0) (placeholder models, benchmarks)
 *   --measure          then time prefill/decode on ORT node and WASM, with and without attention outputs (docs/MODEL.md)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { configFromJson } from '../src/model/config';
import { ExportedFile, checkTokenizerDir, exportModelFolder } from '../src/model/export/hfFolder';
import { Measurements, measureFolder } from '../src/model/export/measure';
import { VerifyReport, verifyExport } from '../src/model/export/verify';
import { randomModel } from '../src/model/random';
import { checkExportedFolder } from '../src/model/exportedFolder';
import { readWeights } from '../src/model/weights';

interface ExportArgs {
  /** Directory with config.json and model.safetensors. */
  weights: string;
  /** Directory with tokenizer.json and tokenizer_config.json. */
  tokenizer: string;
  out: string;
  name?: string;
  /** Markdown file appended to the model card. */
  card?: string;
  /** Run the ONNX files against the reference (default true). */
  verify?: boolean;
  /** Export randomModel(config, 0) instead of DIR/model.safetensors. */
  randomWeights?: boolean;
  /** Time the exported graphs (prompt lengths in tokens), after verifying. */
  measure?: number[];
  wasmThreads?: number;
  /** Timed rounds per measurement (default 5). */
  repeats?: number;
  /** Measure ONNX Runtime web too (default true). */
  measureWasm?: boolean;
  /** ORT node intra-op threads for --measure (default: ORT's choice). */
  nodeThreads?: number;
  log?: (line: string) => void;
}

interface ExportSummary {
  files: ExportedFile[];
  verify?: VerifyReport;
  measurements?: Measurements;
}

export async function runExport(args: ExportArgs): Promise<ExportSummary> {
  const log = args.log ?? ((line: string) => console.log(line));
  const configFile = path.join(args.weights, 'config.json');
  const weightsFile = path.join(args.weights, 'model.safetensors');
  for (const f of args.randomWeights ? [configFile] : [configFile, weightsFile]) if (!fs.existsSync(f)) throw new Error(`${f}: missing (--weights must hold config.json and model.safetensors)`);
  checkTokenizerDir(args.tokenizer);

  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  } catch (e) {
    throw new Error(`${configFile}: not valid JSON (${(e as Error).message})`);
  }
  const config = configFromJson(json, configFile);
  // readWeights names the tensor when config.json and the weights disagree.
  const weights = args.randomWeights ? randomModel(config, 0) : readWeights(weightsFile, config);
  const card = args.card ? fs.readFileSync(args.card, 'utf8') : undefined;

  const started = Date.now();
  const files = exportModelFolder({
    config,
    weights,
    tokenizerDir: args.tokenizer,
    outDir: args.out,
    safetensorsFile: args.randomWeights ? undefined : weightsFile,
    name: args.name,
    modelCard: card,
    extraConfig: json,
    log,
  });
  log(`exported ${args.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  checkExportedFolder(args.out, { dtype: 'fp32' });
  let report: VerifyReport | undefined;
  if (args.verify !== false) {
    report = await verifyExport(args.out, config, weights);
    log(
      `verified on onnxruntime-node over ${report.tokens} tokens: fp32 max |diff| ${report.fp32MaxAbsDiff.toExponential(2)} ` +
        `(largest |logit| ${report.maxAbsLogit.toFixed(2)}), attentions ${report.attentionsMaxAbsDiff.toExponential(2)}, ` +
        `int8 max |diff| ${report.q8MaxAbsDiff.toFixed(3)}, int8 top-1 agreement ${(report.q8Top1Agreement * 100).toFixed(0)}%`,
    );
    if (report.fp32MaxAbsDiff > 1e-3 * Math.max(1, report.maxAbsLogit) || report.attentionsMaxAbsDiff > 1e-3) {
      throw new Error(`${path.join(args.out, 'onnx')}: the exported graphs do not match the reference forward pass (see the numbers above)`);
    }
  }
  const measurements = args.measure ? await measureFolder(args.out, config, { lengths: args.measure, wasmThreads: args.wasmThreads, repeats: args.repeats, wasm: args.measureWasm, nodeThreads: args.nodeThreads, log }) : undefined;
  return { files, verify: report, measurements };
}

async function main(): Promise<void> {
  const o = new Command()
    .name('export')
    .description('Export trained GPT-2 weights to a Hugging Face model folder with ONNX graphs for transformers.js')
    .requiredOption('--weights <dir>', 'directory with config.json and model.safetensors (e.g. training/runs/<name>/final)')
    .requiredOption('--tokenizer <dir>', 'directory with tokenizer.json and tokenizer_config.json (e.g. data/corpus/tokenizer)')
    .requiredOption('--out <dir>', 'model folder to write (e.g. models/<name>)')
    .option('--name <name>', 'model name for the model card (default: the folder name)')
    .option('--card <file>', 'Markdown appended to the model card README.md')
    .option('--no-verify', 'skip running the ONNX files against the reference forward pass')
    .option('--random-weights', 'export randomModel(config, seed 0) instead of model.safetensors (placeholder models, benchmarks)')
    .option('--measure [lengths]', 'time prefill of these prompt lengths (comma-separated, default 256,512) on ORT node and WASM')
    .option('--wasm-threads <n>', 'WASM threads for --measure', (v) => parseInt(v, 10), 1)
    .option('--repeats <n>', 'timed rounds per --measure number (the fastest is reported)', (v) => parseInt(v, 10), 5)
    .option('--no-measure-wasm', 'with --measure, time ONNX Runtime node only')
    .option('--node-threads <n>', 'ORT node intra-op threads for --measure (1 makes CPU times comparable)', (v) => parseInt(v, 10))
    .option('--json <file>', 'write the export summary (files, verification, measurements) as JSON')
    .parse()
    .opts<{ weights: string; tokenizer: string; out: string; name?: string; card?: string; verify: boolean; randomWeights?: boolean; measure?: string | true; wasmThreads: number; repeats: number; measureWasm: boolean; nodeThreads?: number; json?: string }>();
  const measure = o.measure === undefined ? undefined : o.measure === true ? [256, 512] : o.measure.split(',').map(Number);
  const summary = await runExport({ ...o, measure });
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(summary, null, 2) + '\n');
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`export: ${e.message}`);
    process.exitCode = 1;
  });
}
