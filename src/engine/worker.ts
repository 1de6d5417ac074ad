// PLACEHOLDER (extension foundation): the engine engineer replaces this file with the model worker.
// It only tells the host it started, so the build and the bundle layout can be tested.
import { parentPort } from 'node:worker_threads';

parentPort?.postMessage({ type: 'ready' });
