import * as path from 'node:path';
import { CompletionPipeline } from '../../../src/completion/pipeline';
import type { CancellationLike } from '../../../src/completion/debounce';
import { normalizeSettings } from '../../../src/config/settings';
import { resolveModelSetting } from '../../../src/engine/modelSource';
import { sourceWorker } from '../../../src/engine/sourceWorker';
import { WorkerClient } from '../../../src/engine/workerClient';
import { REPO_ROOT } from '../../harness/codeServer';

const never: CancellationLike = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };

/**
 * What the model completes at `offset` of `text` with the extension's default settings at temperature 0
 * (greedy: deterministic), computed here in Node with the same worker and pipeline code as the headless
 * CLI (`npm run complete`), outside the editor: the reference the ghost text is compared with.
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
  const { settings } = normalizeSettings({ temperature: 0 });
  const resolved = resolveModelSetting(opts.model ?? '', REPO_ROOT, opts.embeddedModel);
  if (!resolved.ok) throw new Error(resolved.error);
  const client = new WorkerClient(
    {
      start: { backend: settings.backend, threads: settings.threads, wasmPaths: path.join(REPO_ROOT, 'node_modules/onnxruntime-web/dist') },
      load: { source: resolved.source, quantized: settings.quantized, cacheDir: path.join(REPO_ROOT, '.cache', 'models'), allowDownloads: false, remoteHost: settings.remoteHost },
    },
    { createWorker: sourceWorker(path.join(REPO_ROOT, 'src', 'engine', 'worker.ts')) },
  );
  try {
    await client.ensureLoaded();
    const pipeline = new CompletionPipeline(client, () => ({ ...settings, debounceMs: 0 }));
    const result = await pipeline.complete(
      { text: opts.text, offset: opts.offset, languageId: opts.languageId, relativePath: opts.relativePath, documentKey: 'reference' },
      never,
    );
    return result?.text ?? null;
  } finally {
    await client.dispose();
  }
}
