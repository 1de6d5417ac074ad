/**
 * A TypeScript worker source run through tsx (tests, the bench and `npm run complete` from a checkout;
 * the extension runs the bundle through `bundledWorker` in ./workerFactory.ts). Node cannot start a `.ts`
 * worker entry itself, so a one-line CommonJS bootstrap registers tsx first. Apart from workerFactory.ts
 * because it needs tsx, which only a checkout has.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerFactory } from './workerFactory';

export function sourceWorker(sourcePath: string): WorkerFactory {
  // Resolved here: eval'd worker code resolves modules from the current folder, which may be anywhere.
  const tsx = require.resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(sourcePath)});`;
  return (workerData) => new Worker(bootstrap, { eval: true, workerData });
}
