// `npm start`: builds and packages this machine's VSIX (test/harness/vsix.ts: the platform one), then opens it in a
// real VS Code on the embedded model.
// - `code` (VS Code desktop) on PATH: `code --install-extension <vsix> --force`, then opens the sample workspace.
// - otherwise: installs code-server 4.100.3 (test/harness), installs the VSIX into .vscode-test/start/ (settings
//   and state persist between runs), serves the sample workspace on http://127.0.0.1:<port>/ and runs until Ctrl+C.
// Options: --port N (default 8080, or a free port when taken), --no-package (reuse the last VSIX), --code-server
// (use code-server even when `code` exists).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { freePort, REPO_ROOT, FIXTURE_WORKSPACE, startCodeServer } from '../test/harness/codeServer';
import { manifestVersion, packageVsix } from '../test/harness/vsix';

const program = new Command()
  .name('npm start --')
  .option('--port <n>', 'code-server port', (v) => Number(v), 8080)
  .option('--no-package', 'reuse the last VSIX of this platform (local-gpt-<platform>-<version>.vsix)')
  .option('--code-server', 'use code-server even when `code` is on PATH', false)
  .parse();
const opts = program.opts<{ port: number; package: boolean; codeServer: boolean }>();

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}

function onPath(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

async function portFree(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`);
    return false;
  } catch {
    return true;
  }
}

async function main(): Promise<void> {
  const version = manifestVersion();
  const vsix = packageVsix({ reuse: !opts.package });
  const embedded = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { localGpt: { embeddedModel: string } }).localGpt.embeddedModel;
  if (!fs.existsSync(path.join(REPO_ROOT, 'models', embedded))) {
    console.warn(`start: models/${embedded}/ does not exist yet, so the VSIX has no embedded model (completions will report it).`);
  }

  if (!opts.codeServer && onPath('code')) {
    sh('code', ['--install-extension', vsix, '--force']);
    sh('code', ['--new-window', FIXTURE_WORKSPACE]);
    console.log(`start: opened ${FIXTURE_WORKSPACE} in VS Code with Local GPT ${version}.`);
    return;
  }

  const port = (await portFree(opts.port)) ? opts.port : await freePort();
  const server = await startCodeServer({ vsix: [vsix], port, stateDir: path.join(REPO_ROOT, '.vscode-test', 'start'), userSettings: {} });
  const url = server.workbenchUrl();
  console.log(`\nLocal GPT ${version} is running in code-server (VS Code 1.100.3):\n\n  ${url}\n`);
  console.log(`Workspace: ${server.workspace}\nServer log: ${server.logFile}\nPress Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('\nstart: stopping code-server…');
  await server.stop();
}

main().catch((e) => {
  console.error(`start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
