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
 * The settings under which the ghost text is compared with `greedyCompletion`: greedy decoding
 * (deterministic) and the model's own prediction, without the copy model (it mixes in the documents the
 * editor has open, which the reference outside the editor does not have). Keys without `localGpt.`.
 */
export const GREEDY_MODEL_ONLY: Readonly<Record<string, unknown>> = { temperature: 0, 'workspace.cache': false, 'workspace.retrieval': false };

/**
 * What the model completes at `offset` of `text` with the extension's default settings plus
 * GREEDY_MODEL_ONLY, computed here in Node with the same worker and pipeline code as the headless CLI
 * (`npm run complete`), outside the editor: the reference the ghost text is compared with.
 * `model`: a model folder, or undefined for the embedded model.
 */
export async function greedyCompletion(opts: {
  text: string;
  offset: number;
  languageId: string;
  relativePath: string;
  model: string | undefined;
  embeddedModel: string;
}): Promise<string | null> {
  const { settings } = normalizeSettings({ ...GREEDY_MODEL_ONLY });
  const resolved = resolveModelSetting(opts.model ?? '', REPO_ROOT, opts.embeddedModel);
  if (!resolved.ok) throw new Error(resolved.error);
  const client = new WorkerClient(
    engineConfigFor(settings, { source: resolved.source, wasmPaths: path.join(REPO_ROOT, 'node_modules/onnxruntime-web/dist'), cacheDir: path.join(REPO_ROOT, '.cache', 'models') }),
    { createWorker: sourceWorker(path.join(REPO_ROOT, 'src', 'engine', 'worker.ts')) },
  );
  try {
    await client.ensureLoaded();
    const pipeline = new CompletionPipeline(client, () => ({ ...settings, debounceMs: 0 }));
    const result = await pipeline.complete(
      { text: opts.text, offset: opts.offset, languageId: opts.languageId, relativePath: opts.relativePath, documentKey: 'reference' },
      never,
    );
    return result.kind === 'suggestion' ? result.text : null;
  } finally {
    await client.dispose();
  }
}
