/**
 * `npm run complete -- FILE:LINE:COL [--workspace DIR] [--set localGpt.<key>=<value>]... [--measure]`
 * `npm run complete -- --batch POSITIONS.jsonl [--workspace DIR] [--set ...]`
 *
 * Headless inline completion: the same model worker, settings and completion pipeline as the
 * extension (context -> prompt -> worker -> post-processing), model loaded once. One position
 * prints the completion and its timings; `--measure` also times the editor's typical requests
 * (cold start, the same spot again, one more character typed, a new line). A batch reads one
 * `{"file","line","column"[,"text"]}` per line (scripts/lib/batchPositions.ts) and prints one
 * `{"file","line","column","completion","latencyMs"[,"reason"]}` JSON line per position on stdout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommanderError } from 'commander';
import type { CompletionResult } from '../src/completion/pipeline';
import { parseBatchPositions, offsetOfPosition } from './lib/batchPositions';
import { parseCompleteArgs, type CompleteArgs } from './lib/completeArgs';
import { CompletionSession } from './lib/completionSession';

const ms = (x: number) => `${x.toFixed(1)} ms`;

function describe(label: string, r: CompletionResult | null): void {
  if (!r) {
    console.log(`${label}: (no suggestion)`);
    return;
  }
  const t = r.timings;
  console.log(
    `${label}: ${ms(r.latencyMs)} ${r.source === 'cache' ? '(cache)' : ''}` +
      (t ? ` | prompt ${t.promptTokens} tokens, reused ${t.reusedTokens}, prefill ${ms(t.prefillMs)}, decode ${ms(t.decodeMs)}, ${t.tokensPerSecond.toFixed(0)} tokens/s, stop: ${r.stopReason}` : ''),
  );
}

async function runBatch(session: CompletionSession, args: CompleteArgs, positionsFile: string): Promise<void> {
  let input: string;
  try {
    input = fs.readFileSync(positionsFile, 'utf8');
  } catch (e) {
    throw new Error(`${positionsFile}: cannot read the positions (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const positions = parseBatchPositions(input, positionsFile); // every line checked before the model loads
  const info = await session.load();
  console.error(`model: ${info.name} (${info.modelType}, ${info.onnxFile}) on ${info.backend}; ${positions.length} positions`);
  for (const [i, position] of positions.entries()) {
    const result = await session.completeAt(position, `${positionsFile}:${i + 1}: ${position.file}`);
    process.stdout.write(JSON.stringify(result) + '\n');
  }
}

async function runSingle(session: CompletionSession, args: CompleteArgs, spec: { file: string; line: number; column: number }): Promise<void> {
  const file = path.resolve(args.workspace ?? process.cwd(), spec.file);
  const text = fs.readFileSync(file, 'utf8');
  const offset = offsetOfPosition(text, spec.line, spec.column, file);
  const request = (docText: string, at: number) => session.request(file, docText, at);
  const { pipeline } = session;
  const started = performance.now();
  const info = await session.load();
  console.error(`model: ${info.name} (${info.modelType}, ${info.onnxFile}) on ${info.backend}; worker start + load ${ms(performance.now() - started)}`);

  session.openDocument(file, text);
  const { result: first, reason } = await session.completeRequest(request(text, offset));
  console.log('--- completion ---');
  console.log(first ? first.text : `(no suggestion: ${reason})`);
  console.log('------------------');
  describe('first request (model loaded)', first);
  if (!args.measure) return;
  const complete = async (r: ReturnType<typeof request>) => (await session.completeRequest(r)).result;
  /** Runs a case `--repeat` times from the same cache state and prints the fastest and the median. */
  const timed = async (label: string, setup: () => Promise<unknown>, run: () => Promise<CompletionResult | null>) => {
    const runs: CompletionResult[] = [];
    for (let i = 0; i < args.repeat; i++) {
      await setup();
      pipeline.reset();
      const r = await run();
      if (r) runs.push(r);
    }
    if (runs.length === 0) return describe(label, null);
    runs.sort((a, b) => a.latencyMs - b.latencyMs);
    describe(runs.length > 1 ? `${label} [fastest of ${runs.length}]` : label, runs[0]);
    if (runs.length > 1) console.log(`    median ${ms(runs[runs.length >> 1].latencyMs)}`);
  };
  const here = request(text, offset);
  const warm = () => complete(here); // leaves the worker's cache at this spot
  await timed('same spot again', warm, () => complete(here));
  const typed = first?.text ? first.text[0] : ' ';
  const oneMore = request(text.slice(0, offset) + typed + text.slice(offset), offset + 1);
  await timed(`one more character (${JSON.stringify(typed)})`, warm, () => complete(oneMore));
  await complete(oneMore);
  describe('typing through the suggestion (cache)', await complete(request(text.slice(0, offset) + typed + text.slice(offset), offset + 1)));
  const indent = /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', offset - 1) + 1, offset))?.[0] ?? '';
  const accepted = text.slice(0, offset) + (first?.text ?? '') + '\n' + indent;
  const newLine = request(accepted + text.slice(offset), accepted.length);
  const acceptedHere = request(text.slice(0, offset) + (first?.text ?? '') + text.slice(offset), offset + (first?.text.length ?? 0));
  await timed('accept, then a new line', () => complete(acceptedHere), () => complete(newLine));
  const other = request(text, Math.max(0, text.lastIndexOf('\n', Math.floor(text.length / 3))));
  await timed('cold prompt (nothing reusable)', () => complete(other), () => complete(here));
}

async function main(): Promise<void> {
  let args: CompleteArgs;
  try {
    args = parseCompleteArgs(process.argv.slice(2), process.cwd());
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.helpDisplayed') return;
    throw e;
  }
  const session = new CompletionSession({ overrides: args.overrides, model: args.model, cacheDir: args.cacheDir, bundle: args.bundle, log: (m) => console.error(m) });
  await session.useWorkspace(args.workspace);
  try {
    if (args.mode.kind === 'batch') await runBatch(session, args, args.mode.positionsFile);
    else await runSingle(session, args, args.mode.position);
  } finally {
    await session.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(`complete: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
