// `npm run models` (also run by `npm run build`): builds the ONNX graphs of every models/<name>/ from its
// model.safetensors + config.json where they are missing or stale (scripts/lib/modelGraphs.ts).
import * as path from 'node:path';
import { ensureAllModelGraphs } from './lib/modelGraphs';

const modelsDir = path.resolve(__dirname, '..', 'models');
try {
  const builds = ensureAllModelGraphs(modelsDir, (line) => console.log(`model-graphs: ${line}`));
  const fresh = builds.filter((b) => b.written.length === 0).map((b) => path.basename(b.dir));
  if (fresh.length > 0) console.log(`model-graphs: ${fresh.join(', ')}: ONNX graphs current`);
} catch (e) {
  console.error(`model-graphs: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
