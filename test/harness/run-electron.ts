// `npm run test:integration:electron`: the integration suite (the same files CI runs in code-server)
// in a desktop VS Code through @vscode/test-electron's runTests. The VS Code is the executable named by
// LOCAL_GPT_VSCODE_EXECUTABLE, or runTests downloads VS Code 1.100.3 into .vscode-test/ where the network
// allows (not here: CI keeps code-server, test/harness/run-integration.ts). On Linux without a display,
// run it under xvfb-run. Exits with the suite's status.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { electronRunOptions, VSCODE_EXECUTABLE_ENV } from './electronArgs';

const REPO_ROOT = path.resolve(__dirname, '../..');
const FIXTURE_WORKSPACE = path.join(REPO_ROOT, 'test', 'fixtures', 'workspace');

async function main(): Promise<number> {
  const build = spawnSync(process.execPath, ['esbuild.js', '--tests'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed (node esbuild.js --tests)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-gpt-electron-'));
  try {
    const workspace = path.join(tmp, 'workspace');
    fs.cpSync(FIXTURE_WORKSPACE, workspace, { recursive: true });
    const options = electronRunOptions({
      repoRoot: REPO_ROOT, workspace, userDataDir: path.join(tmp, 'user-data'), extensionsDir: path.join(tmp, 'extensions'), env: process.env,
    });
    console.log(`electron: ${options.vscodeExecutablePath ?? `VS Code ${options.version} (downloaded; set ${VSCODE_EXECUTABLE_ENV} to use an installed one)`}`);
    // Loaded here, typed by what is used: only this runner needs the package (a devDependency).
    const { runTests } = require('@vscode/test-electron') as { runTests(o: typeof options): Promise<number> };
    return await runTests(options);
  } finally {
    if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`electron: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
