/**
 * What the editor waits for at the spot people type most (issue #14 item 5): a function signature
 * typed in the sample workspace's src/math.ts, Enter (the editor indents and has auto-closed the
 * brace), then the extension's whole request path with the default settings: context, retrieval and
 * the copy model over the workspace, prompt, worker, multi-line decoding with its stops,
 * post-processing. The headless session of `npm run complete` (scripts/lib/completionSession.ts) runs
 * it, so this is the code the extension runs, minus the debounce (localGpt.debounceMs, 75 ms by
 * default, which the user waits for on top) and the editor's rendering. Each trial is a new signature
 * in the same buffer, as in the real-editor e2e (test/e2e/scenarios/35-fresh-line.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CompletionSession } from '../../scripts/lib/completionSession';
import { summarize } from '../lib/stats';
import { SCENARIOS, type LatencyInput, type ScenarioResult } from '../lib/types';

const WORKSPACE = path.resolve(__dirname, '../../test/fixtures/workspace');
const FILE = path.join(WORKSPACE, 'src', 'math.ts');

/** The buffer after typing trial `i`'s signature and Enter, and the cursor (end of the indented empty line). */
function freshLineBuffer(i: number): { text: string; offset: number } {
  const before = `${fs.readFileSync(FILE, 'utf8').replace(/\n*$/, '\n')}\nexport function scale${i}(value: number, factor: number): number {\n  `;
  return { text: `${before}\n}\n`, offset: before.length };
}

export async function measureEditorRequest(input: LatencyInput, log: (line: string) => void): Promise<ScenarioResult> {
  const session = new CompletionSession({
    overrides: { backend: input.backend, threads: input.threads, quantized: input.quantized, debounceMs: 0 },
    model: input.modelDir,
    cacheDir: os.tmpdir(),
    bundle: false,
    log: (line) => (line.startsWith('[info]') ? undefined : log(`editor request: ${line}`)),
  });
  await session.load();
  await session.useWorkspace(WORKSPACE);
  const samples: { ms: number; promptTokens: number; reusedTokens: number; generated: number }[] = [];
  try {
    for (let i = 0; i <= input.repeats; i++) {
      const { text, offset } = freshLineBuffer(i);
      session.openDocument(FILE, text);
      const { result, latencyMs, reason } = await session.completeRequest(session.request(FILE, text, offset));
      if (i === 0) continue; // warm-up: the first request also indexes the workspace's documents
      const t = result?.timings;
      samples.push({ ms: latencyMs, promptTokens: t?.promptTokens ?? 0, reusedTokens: t?.reusedTokens ?? 0, generated: t ? Math.round((t.tokensPerSecond * t.decodeMs) / 1000) : 0 });
      log(`editor request ${i}: ${latencyMs.toFixed(1)} ms, ${result ? JSON.stringify(result.text) : `no suggestion (${reason})`}`);
    }
  } finally {
    await session.dispose();
  }
  const med = (xs: number[]) => summarize(xs).median;
  return {
    name: SCENARIOS.editorFreshLine,
    ms: summarize(samples.map((s) => s.ms)),
    promptTokens: med(samples.map((s) => s.promptTokens)),
    reusedTokens: med(samples.map((s) => s.reusedTokens)),
    generatedTokens: med(samples.map((s) => s.generated)),
  };
}
