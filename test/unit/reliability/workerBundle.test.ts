/**
 * The production worker bundle (dist/worker.js, what the VSIX ships) holds no fault-injection code; the
 * integration tests' worker bundle (dist/faultWorker.js) exists only in test builds. Both are built in
 * memory from esbuild.js's own targets, minified as `npm run package` builds them.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const REPO = path.resolve(__dirname, '../../..');

interface BuildScript {
  targets(opts: { tests: boolean }): esbuild.BuildOptions[];
}
// The build script is plain JS: typed here by what the test uses.
const build = require(path.join(REPO, 'esbuild.js')) as BuildScript;

/** Strings only the fault hook contains. */
const HOOK_TRACES = ['localgpt-fault', 'localgpt-test-worker', 'injected by the test hook'];

async function bundle(outfile: string, tests: boolean): Promise<string> {
  const target = build.targets({ tests }).find((t) => t.outfile === outfile);
  assert.ok(target, `esbuild.js builds ${outfile}${tests ? ' in test builds' : ''}`);
  const result = await esbuild.build({ ...target, absWorkingDir: REPO, write: false, minify: true, sourcemap: false, logLevel: 'silent' });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  assert.ok(js, `${outfile} was built`);
  return js.text;
}

describe('reliability/workerBundle: the fault hook never ships', function () {
  this.timeout(180_000);

  it('dist/worker.js has none of the fault hook; dist/faultWorker.js (test builds only) has it', async () => {
    const production = await bundle('dist/worker.js', false);
    for (const trace of HOOK_TRACES) assert.ok(!production.includes(trace), `dist/worker.js contains "${trace}"`);
    assert.ok(production.includes('the Local GPT model worker must run as a worker_threads Worker'), 'the production bundle is the real worker');

    assert.equal(build.targets({ tests: false }).some((t) => t.outfile === 'dist/faultWorker.js'), false, 'no fault worker in production builds');
    const faultWorker = await bundle('dist/faultWorker.js', true);
    for (const trace of HOOK_TRACES) assert.ok(faultWorker.includes(trace), `dist/faultWorker.js contains "${trace}"`);
  });
});
