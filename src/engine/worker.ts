/**
 * Model worker entry (`dist/worker.js`, a `worker_threads` Worker started by src/engine/workerClient.ts):
 * the production loop of ./workerMain.ts with no hook. Nothing here or in what it imports reads test
 * switches; the integration tests' fault-injecting worker is a separate bundle (test/harness/faultWorker.ts).
 */
import { runWorker } from './workerMain';

void runWorker();
