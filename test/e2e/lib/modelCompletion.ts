import * as path from 'node:path';
import { CompletionPipeline } from '../../../src/completion/pipeline';
import type { CancellationLike } from '../../../src/completion/debounce';
import { normalizeSettings } from '../../../src/config/settings';
import { engineConfigFor } from '../../../src/engine/engineConfig';
import { resolveModelSetting } from '../../../src/engine/modelSource';
import { sourceWorker } from '../../../src/engine/sourceWorker';
import { WorkerClient } from '../../../src/engine/workerClient';
import { REPO_ROOT } from '../../harness/codeServer';

const never: CancellationLike = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };

/**
 * The settings under which the ghost text is compared with `greedyCompletions`: greedy decoding
 * (deterministic) and the model's own prediction, without the copy model (it mixes in the documents the
 * editor has open, which the reference outside the editor does not have). Keys without `localGpt.`.
 */
export const GREEDY_MODEL_ONLY: Readonly<Record<string, unknown>> = { temperature: 0, 'workspace.cache': false, 'workspace.retrieval': false };

/**
 * What the model completes at each of `offsets` of `text` with the extension's default settings plus
 * GREEDY_MODEL_ONLY, computed here in Node with the same worker and pipeline code as the headless CLI
 * (`npm run complete`), outside the editor, the spots in the order given: a fresh pipeline per spot (no
 * completion cache between them) on one worker, which reuses the previous spot's KV cache as the editor's
 * does. The references the ghost text is compared with. `model`: a model folder, or undefined for the embedded model.
 */
export async function greedyCompletions(opts: {
  text: string;
  offsets: readonly number[];
  languageId: string;
  relativePath: string;
  model: string | undefined;
  embeddedModel: string;
}): Promise<(string | null)[]> {
  const { settings } = normalizeSettings({ ...GREEDY_MODEL_ONLY });
  const resolved = resolveModelSetting(opts.model ?? '', REPO_ROOT, opts.embeddedModel);
  if (!resolved.ok) throw new Error(resolved.error);
  const client = new WorkerClient(
    engineConfigFor(settings, { source: resolved.source, wasmPaths: path.join(REPO_ROOT, 'node_modules/onnxruntime-web/dist'), cacheDir: path.join(REPO_ROOT, '.cache', 'models') }),
    { createWorker: sourceWorker(path.join(REPO_ROOT, 'src', 'engine', 'worker.ts')) },
  );
  try {
    await client.ensureLoaded();
    const results: (string | null)[] = [];
    for (const offset of opts.offsets) {
      const pipeline = new CompletionPipeline(client, () => ({ ...settings, debounceMs: 0 }));
      const result = await pipeline.complete(
        { text: opts.text.slice(0, offset), offset, languageId: opts.languageId, relativePath: opts.relativePath, documentKey: 'reference' },
        never,
      );
      results.push(result.kind === 'suggestion' ? result.text : null);
    }
    return results;
  } finally {
    await client.dispose();
  }
}

/**
 * Whether `ghost` (the first line the editor shows at the end of `text`, after typing `typed`) is the
 * model's greedy completion there, or that of an earlier spot of `typed` with the letters typed since
 * taken off its start (VS Code keeps showing a suggestion the user types through). The spots are computed
 * in typing order, each reusing the previous one's KV cache as the editor does; the int8 graph scales
 * activations per token, so that gives each spot the logits of its whole prompt in one run (with per-run
 * scales a near-tie went the other way: embedded-v6 showed "mean(" in the editor where the whole prompt
 * gives "min("). Returns the completion at the end.
 */
export async function isGreedyGhostText(
  ghost: string,
  opts: { text: string; typed: string; languageId: string; relativePath: string; model: string | undefined; embeddedModel: string },
): Promise<{ matches: boolean; atEnd: string | null }> {
  const end = opts.text.length;
  const typingOrder = Array.from({ length: opts.typed.length + 1 }, (_, i) => end - opts.typed.length + i);
  const asTyped = await greedyCompletions({ ...opts, offsets: typingOrder });
  const firstLine = (c: string | null) => (c === null ? null : c.split('\n')[0]);
  const shows = (c: string | null, offset: number) => {
    const since = opts.text.slice(offset, end); // typed after that spot
    const line = firstLine(c);
    return line !== null && line.startsWith(since) && line.slice(since.length) === ghost;
  };
  const matches = typingOrder.some((offset, i) => shows(asTyped[i], offset));
  return { matches, atEnd: asTyped[asTyped.length - 1] };
}
