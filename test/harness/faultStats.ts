// What the integration tests' worker (test/harness/faultWorker.ts, bundled as dist/faultWorker.js by
// `node esbuild.js --tests`) reports, and where. Imported by that worker and by the tests that listen.
import * as path from 'node:path';

/** Name of the BroadcastChannel the fault worker reports on. */
export const FAULT_STATS_CHANNEL = 'localgpt-test-worker';

/** The fault worker's bundle inside an extension folder (the production worker is dist/worker.js beside it). */
export function faultWorkerBundle(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'faultWorker.js');
}

/** A `complete` whose prompt contains one of these makes the fault worker crash, hang or fill its heap. */
export const FAULT_MARKER = /localgpt-fault:(crash|hang|oom)/;

/**
 * What the worker says on FAULT_STATS_CHANNEL. `t` is `performance.timeOrigin + performance.now()`, ms.
 * - `in` / `out`: a request received / a reply posted (`progress` excluded).
 * - `run`: one ONNX Runtime session run finished; `concurrent` = runs going on when it started (itself included).
 * - `heap`: answer to `{ type: 'heap' }` sent on the channel: V8 heap after a full GC, bytes.
 * - `fault`: the hook is about to inject `kind`.
 */
export type FaultStat =
  | { kind: 'in' | 'out'; threadId: number; t: number; type: string; id: number | null }
  | { kind: 'run'; threadId: number; t: number; ms: number; concurrent: number }
  | { kind: 'heap'; threadId: number; t: number; usedBytes: number; limitBytes: number }
  | { kind: 'fault'; threadId: number; t: number; fault: string; id: number };
