/**
 * Command line of `npm run complete` (scripts/complete.ts), parsed into plain values: one position
 * (`FILE:LINE:COL`) or a batch (`--batch POSITIONS.jsonl`), the workspace, and the settings as
 * overrides of the extension's defaults (`--set localGpt.<key>=<value>`; `--temperature` and the
 * other short flags are the same overrides under a shorter name).
 */
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { parseSettingAssignment, type SettingOverrides } from '../../src/config/overrides';

interface PositionSpec {
  file: string;
  line: number;
  column: number;
}

export interface CompleteArgs {
  mode: { kind: 'single'; position: PositionSpec } | { kind: 'batch'; positionsFile: string };
  /** Absolute workspace folder, or null (then relative document paths are taken from `cwd`). */
  workspace: string | null;
  /** Raw setting values keyed below `localGpt.` (checked against the manifest). */
  overrides: SettingOverrides;
  /** `--model` as given (a folder or a Hugging Face id); '' = the embedded model. */
  model: string;
  cacheDir: string;
  bundle: boolean;
  measure: boolean;
  repeat: number;
}

/**
 * Settings of a headless run, before the user's overrides: no debounce (nobody is typing) and a
 * fixed seed (a run is repeatable); everything else is the extension's default.
 */
export const HEADLESS_DEFAULTS: SettingOverrides = { debounceMs: 0, seed: 0 };

/** `FILE:LINE:COL` (1-based); FILE may itself contain colons. */
export function parsePositionSpec(spec: string): PositionSpec {
  const m = /^(.+):(\d+):(\d+)$/.exec(spec);
  if (!m || Number(m[2]) < 1 || Number(m[3]) < 1) throw new InvalidArgumentError(`expected FILE:LINE:COL (1-based), got ${JSON.stringify(spec)}`);
  return { file: m[1], line: Number(m[2]), column: Number(m[3]) };
}

const integer = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
};
const number = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
};
const collect = (v: string, all: string[]) => [...all, v];

function command(): Command {
  return new Command()
    .name('complete')
    .description('Complete code with the Local GPT model worker, headless: at FILE:LINE:COL, or at every position of --batch POSITIONS.jsonl')
    .argument('[position]', 'FILE:LINE:COL (1-based); FILE absolute or relative to --workspace (else to the current folder)')
    .option('--batch <positions.jsonl>', 'one {"file","line","column"[,"text"]} per line; prints one JSON line per position')
    .option('--workspace <dir>', 'workspace folder: relative paths and the prompt header are relative to it')
    .option('--set <key=value>', 'a setting, as in settings.json (localGpt.temperature=0); repeatable', collect, [] as string[])
    .option('--model <dir|id>', 'model folder (absolute or relative to the current folder) or Hugging Face id; default: the embedded model')
    .option('--backend <name>', 'auto | native | wasm (= --set localGpt.backend=...)')
    .option('--threads <n>', 'inference threads, 0 = half the cores (= --set localGpt.threads=...)', integer('--threads'))
    .option('--fp32', 'use onnx/model.onnx instead of the quantized graph (= --set localGpt.quantized=false)')
    .option('--max-tokens <n>', 'maximum new tokens (= --set localGpt.maxNewTokens=...)', integer('--max-tokens'))
    .option('--temperature <t>', 'sampling temperature, 0 = greedy (= --set localGpt.temperature=...)', number('--temperature'))
    .option('--seed <n>', 'sampling seed, -1 = random (= --set localGpt.seed=...; default 0)', integer('--seed'))
    .option('--multiline <mode>', 'auto | always | never (= --set localGpt.multiline=...)')
    .option('--allow-downloads', 'allow downloading a Hugging Face id (= --set localGpt.allowDownloads=true)')
    .option('--cache-dir <dir>', 'where downloaded models go', path.join('.cache', 'models'))
    .option('--bundle', 'run dist/worker.js (npm run build) instead of the TypeScript source', false)
    .option('--measure', 'single position only: also time the same spot again, one more character, a new line', false)
    .option('--repeat <n>', 'with --measure, run each case n times and report the fastest and the median', integer('--repeat'), 1)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) });
}

interface RawOptions {
  batch?: string;
  workspace?: string;
  set: string[];
  model?: string;
  backend?: string;
  threads?: number;
  fp32?: boolean;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  multiline?: string;
  allowDownloads?: boolean;
  cacheDir: string;
  bundle: boolean;
  measure: boolean;
  repeat: number;
}

/**
 * Parses `argv` (without `node script`). Throws an Error with commander's message or ours for bad
 * input; `--help` throws a CommanderError with code 'commander.helpDisplayed' after printing.
 */
export function parseCompleteArgs(argv: readonly string[], cwd: string): CompleteArgs {
  const program = command();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && e.code !== 'commander.helpDisplayed') throw new Error(e.message.replace(/^error: /, ''));
    throw e;
  }
  const o = program.opts<RawOptions>();
  const [positionArg] = program.args;
  if ((positionArg === undefined) === (o.batch === undefined)) throw new Error('give either FILE:LINE:COL or --batch POSITIONS.jsonl (one of them)');
  if (o.batch !== undefined && o.measure) throw new Error('--measure times one position; it cannot be used with --batch');

  const overrides: SettingOverrides = { ...HEADLESS_DEFAULTS };
  const flag = (key: string, value: unknown) => {
    if (value !== undefined) overrides[key] = value;
  };
  flag('backend', o.backend);
  flag('threads', o.threads);
  flag('quantized', o.fp32 ? false : undefined);
  flag('maxNewTokens', o.maxTokens);
  flag('temperature', o.temperature);
  flag('seed', o.seed);
  flag('multiline', o.multiline);
  flag('allowDownloads', o.allowDownloads ? true : undefined);
  for (const spec of o.set) {
    const [key, value] = parseSettingAssignment(spec);
    overrides[key] = value;
  }
  return {
    mode: o.batch !== undefined ? { kind: 'batch', positionsFile: path.resolve(cwd, o.batch) } : { kind: 'single', position: parsePositionSpec(positionArg!) },
    workspace: o.workspace !== undefined ? path.resolve(cwd, o.workspace) : null,
    overrides,
    model: o.model ?? '',
    cacheDir: path.resolve(cwd, o.cacheDir),
    bundle: o.bundle,
    measure: o.measure,
    repeat: Math.max(1, o.repeat),
  };
}
