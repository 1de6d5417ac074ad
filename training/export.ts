/**
 * `tsx training/export.ts --weights DIR --tokenizer DIR --out models/NAME`
 *
 * Turns a trainer output (DIR/config.json + DIR/model.safetensors, e.g. training/runs/<name>/final)
 * and a tokenizer directory (tokenizer.json + tokenizer_config.json, e.g. data/corpus/tokenizer)
 * into a model folder in the Hugging Face layout (docs/ARCHITECTURE.md), then checks the ONNX
 * files against the reference forward pass and the folder with loadModelFolder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { configFromJson } from '../src/model/config';
import { ExportedFile, checkTokenizerDir, exportModelFolder } from '../src/model/export/hfFolder';
import { VerifyReport, verifyExport } from '../src/model/export/verify';
import { loadModelFolder } from '../src/model/loadModelFolder';
import { readWeights } from '../src/model/weights';

export interface ExportArgs {
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
  log?: (line: string) => void;
}

export interface ExportSummary {
  files: ExportedFile[];
  verify?: VerifyReport;
}

export async function runExport(args: ExportArgs): Promise<ExportSummary> {
  const log = args.log ?? ((line: string) => console.log(line));
  const configFile = path.join(args.weights, 'config.json');
  const weightsFile = path.join(args.weights, 'model.safetensors');
  for (const f of [configFile, weightsFile]) if (!fs.existsSync(f)) throw new Error(`${f}: missing (--weights must hold config.json and model.safetensors)`);
  checkTokenizerDir(args.tokenizer);

  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  } catch (e) {
    throw new Error(`${configFile}: not valid JSON (${(e as Error).message})`);
  }
  const config = configFromJson(json, configFile);
  const weights = readWeights(weightsFile, config); // names the tensor when config and weights disagree
  const card = args.card ? fs.readFileSync(args.card, 'utf8') : undefined;

  const started = Date.now();
  const files = exportModelFolder({
    config,
    weights,
    tokenizerDir: args.tokenizer,
    outDir: args.out,
    safetensorsFile: weightsFile,
    name: args.name,
    modelCard: card,
    extraConfig: json,
    log,
  });
  log(`exported ${args.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  loadModelFolder(args.out, { dtype: 'fp32', attentions: true });
  if (args.verify === false) return { files };
  const report = await verifyExport(args.out, config, weights);
  log(
    `verified on onnxruntime-node over ${report.tokens} tokens: fp32 max |diff| ${report.fp32MaxAbsDiff.toExponential(2)} ` +
      `(largest |logit| ${report.maxAbsLogit.toFixed(2)}), attentions ${report.attentionsMaxAbsDiff.toExponential(2)}, ` +
      `int8 max |diff| ${report.q8MaxAbsDiff.toFixed(3)}, int8 top-1 agreement ${(report.q8Top1Agreement * 100).toFixed(0)}%`,
  );
  if (report.fp32MaxAbsDiff > 1e-3 * Math.max(1, report.maxAbsLogit) || report.attentionsMaxAbsDiff > 1e-3) {
    throw new Error(`${path.join(args.out, 'onnx')}: the exported graphs do not match the reference forward pass (see the numbers above)`);
  }
  return { files, verify: report };
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
    .parse()
    .opts<{ weights: string; tokenizer: string; out: string; name?: string; card?: string; verify: boolean }>();
  await runExport(o);
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`export: ${e.message}`);
    process.exitCode = 1;
  });
}
