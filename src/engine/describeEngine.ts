/**
 * How the host describes the engine in its state details and log lines: a deadline as a duration,
 * the loaded model, the model being loaded. Apart from `WorkerClient` (./workerClient.ts), which
 * calls them, because they are wording with no state, so they can change (or be reused) without
 * touching the worker's lifecycle.
 */
import type { LoadRequest, ModelInfo } from './protocol';

/** A deadline or window as people say it: ms below 10 s, s below 2 min, then min. */
export function duration(ms: number): string {
  if (ms < 10_000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** The loaded model in one line: name, architecture, graph file, backend, context. */
export function describeModel(model: ModelInfo): string {
  return `${model.name} (${model.modelType}, ${model.onnxFile}, ${model.backend}, context ${model.contextLength})`;
}

/** The model being loaded: a hub id at its revision, or a folder. */
export function describeLoad(load: Pick<LoadRequest, 'source'>): string {
  const s = load.source;
  return s.kind === 'hub' ? `${s.id}@${s.revision}` : s.dir;
}
