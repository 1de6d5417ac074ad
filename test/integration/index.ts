// Entry of the integration suite, run inside the real extension host (the `extensionTestsPath` of
// test/harness/run-integration.ts). esbuild.js bundles this file and every `test/integration/**/*.test.ts`
// separately into dist/test/integration/; run() loads all the compiled `*.test.js`, so a new test file
// needs no registration here. Output goes through console.log to the runner (mocha's spec reporter).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { isStrictCi, refuseFilterInCi } from '../harness/ciRules';

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith('.test.js') ? [path.join(dir, e.name)] : []))
    .sort();
}

export function run(): Promise<void> {
  // Under CI=true a skipped test fails ("Pending test forbidden"), and a filter is refused.
  try {
    refuseFilterInCi('LOCAL_GPT_TEST_GREP');
  } catch (e) {
    return Promise.reject(e);
  }
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec', forbidPending: isStrictCi() });
  const grep = process.env.LOCAL_GPT_TEST_GREP;
  if (grep) mocha.grep(grep);
  const files = testFiles(__dirname);
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files in ${__dirname}`));
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} integration test(s) failed`)) : resolve()));
  });
}
