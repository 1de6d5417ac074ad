// Idempotent, offline-friendly installer for code-server 4.100.3 (VS Code 1.100.3, the newest release whose
// `engines` accepts Node 20) into `.vscode-test/code-server/`. Only the npm registry and Debian apt are used.
// The steps follow ../shared/vscode-e2e/README.md: a plain `npm install code-server` fails here (postinstall
// as root, kerberos headers, @vscode/ripgrep downloading from GitHub), so the postinstall runs by hand.
//
//   npx tsx test/harness/install-code-server.ts        (also called by the test runners and `npm start`)
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const CODE_SERVER_VERSION = '4.100.3';
export const REPO_ROOT = path.resolve(__dirname, '../..');
const INSTALL_DIR = path.join(REPO_ROOT, '.vscode-test', 'code-server');
const PKG_DIR = path.join(INSTALL_DIR, 'node_modules', 'code-server');
/** Entry script run with the system Node. */
const CODE_SERVER_ENTRY = path.join(PKG_DIR, 'out', 'node', 'entry.js');
const MARKER = path.join(INSTALL_DIR, `.installed-${CODE_SERVER_VERSION}`);

function log(msg: string): void {
  console.log(`[code-server install] ${msg}`);
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): void {
  log(`${path.relative(REPO_ROOT, cwd) || '.'}$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (r.status !== 0) {
    throw new Error(`code-server install: \`${cmd} ${args.join(' ')}\` in ${cwd} failed (exit ${r.status ?? r.signal})`);
  }
}

/** Installs the missing Debian packages of scripts/apt-packages.txt (as root), or fails naming them. */
function ensureAptPackages(): void {
  run('bash', [path.join(REPO_ROOT, 'scripts', 'ensure-apt-packages.sh')], REPO_ROOT);
}

function symlink(target: string, linkPath: string): void {
  try {
    fs.lstatSync(linkPath);
    return; // already there
  } catch {
    fs.mkdirSync(path.dirname(linkPath), { recursive: true });
    fs.symlinkSync(target, linkPath);
  }
}

/**
 * code-server's wrapper gives its child process 10 s to hand-shake and exits with "error timed out" otherwise;
 * on a loaded shared machine (load average above 15 on 2 cores, measured) the child needs longer. Raised to 60 s.
 */
function patchHandshakeTimeout(): void {
  const wrapper = path.join(PKG_DIR, 'out', 'node', 'wrapper.js');
  const src = fs.readFileSync(wrapper, 'utf8');
  const from = 'const timeoutInterval = 10000;';
  if (src.includes(from)) fs.writeFileSync(wrapper, src.replace(from, 'const timeoutInterval = 60000; /* Local GPT harness: was 10000 */'));
  else if (!src.includes('const timeoutInterval = 60000;')) log(`WARN: ${wrapper} has no handshake timeout to raise`);
}

/** Returns the path of code-server's entry script, installing it first when needed. */
export function ensureCodeServer(): string {
  if (fs.existsSync(MARKER) && fs.existsSync(CODE_SERVER_ENTRY)) {
    patchHandshakeTimeout();
    return CODE_SERVER_ENTRY;
  }
  const started = Date.now();
  ensureAptPackages();
  fs.mkdirSync(INSTALL_DIR, { recursive: true });
  fs.writeFileSync(path.join(INSTALL_DIR, 'package.json'), JSON.stringify({ name: 'code-server-harness', private: true }, null, 2));
  // Node headers come from /usr/include/node (no download); node-pty's install runs `npx node-gyp`.
  const env = { npm_config_nodedir: '/usr', npm_config_yes: 'true', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
  run('npm', ['install', '--no-save', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`], INSTALL_DIR, env);
  run('npm', ['rebuild', 'argon2'], INSTALL_DIR, env); // prebuilt download fails offline: built from source

  const vscodeDir = path.join(PKG_DIR, 'lib', 'vscode');
  run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-save'], vscodeDir, env);
  // @vscode/ripgrep's postinstall downloads rg from GitHub unless bin/rg exists: link the apt one.
  const rg = execFileSync('sh', ['-c', 'command -v rg']).toString().trim();
  symlink(rg, path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));
  run('npm', ['rebuild'], vscodeDir, env);

  // The rest of code-server's postinstall.sh.
  symlink('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  symlink('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  symlink('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
  run('npm', ['install', '--omit=dev', '--no-save'], path.join(vscodeDir, 'extensions'), env);

  if (!fs.existsSync(CODE_SERVER_ENTRY)) throw new Error(`code-server install: ${CODE_SERVER_ENTRY} missing after install`);
  patchHandshakeTimeout();
  fs.writeFileSync(MARKER, new Date().toISOString() + '\n');
  log(`installed code-server ${CODE_SERVER_VERSION} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return CODE_SERVER_ENTRY;
}

if (require.main === module) {
  try {
    console.log(ensureCodeServer());
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
