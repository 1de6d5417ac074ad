// Start/stop code-server and headless Chromium for the integration runner, the e2e tests and `npm start`.
// Every run gets fresh user-data and extensions folders under a temp dir, removed by stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureCodeServer, REPO_ROOT } from './install-code-server';

export { REPO_ROOT };
export const FIXTURE_WORKSPACE = path.join(REPO_ROOT, 'test', 'fixtures', 'workspace');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** User settings that keep the workbench deterministic (no start page, Tab goes to inline suggestions). */
export const TEST_USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'editor.inlineSuggest.enabled': true,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.wordBasedSuggestions': 'off',
  'editor.acceptSuggestionOnEnter': 'off',
  'files.autoSave': 'off',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'window.restoreWindows': 'none',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

interface CodeServerOptions {
  /** Folder opened in the workbench. Default: test/fixtures/workspace (copied to a temp dir, so runs do not share state). */
  workspace?: string;
  /** VSIX files to install before start. */
  vsix?: string[];
  /** Merged over TEST_USER_SETTINGS. */
  userSettings?: Record<string, unknown>;
  /** Keep code-server's stdout/stderr on the console (default: only into the run's log file). */
  verbose?: boolean;
  /** Fixed port (default: a free one). */
  port?: number;
  /**
   * Persistent folder for user data, extensions and config (kept by stop(); `npm start` uses
   * .vscode-test/start). Default: a fresh temp folder, removed by stop(). With a state dir the user
   * settings are written only when absent, so the user's own changes survive.
   */
  stateDir?: string;
}

export interface CodeServer {
  url: string;
  port: number;
  workspace: string;
  /** Folder of this run (user data, extensions, config, logs): a temp dir, or `stateDir`. */
  tmpDir: string;
  /** code-server's log file. */
  logFile: string;
  /** Base CLI arguments (config/user-data/extensions dirs) for extra code-server calls. */
  cliArgs: string[];
  /** `http://127.0.0.1:PORT/?folder=...` plus optional extra query. */
  workbenchUrl(extraQuery?: Record<string, string>): string;
  stop(): Promise<void>;
}

function runCli(entry: string, args: string[]): void {
  const r = spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`code-server ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

async function waitForHealth(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited with ${child.exitCode} before it was ready; log:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms; log: ${logFile}`);
}

/** Installs code-server if needed, installs the VSIXs, starts the server and waits for /healthz. */
export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  const entry = ensureCodeServer();
  const persistent = opts.stateDir !== undefined;
  const tmpDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'local-gpt-cs-'));
  const userDataDir = path.join(tmpDir, 'user-data');
  const extensionsDir = path.join(tmpDir, 'extensions');
  const configFile = path.join(tmpDir, 'config.yaml');
  const logFile = path.join(tmpDir, 'code-server.log');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  if (!persistent || !fs.existsSync(settingsFile)) {
    fs.writeFileSync(settingsFile, JSON.stringify({ ...TEST_USER_SETTINGS, ...opts.userSettings }, null, 2));
  }
  let workspace = opts.workspace;
  if (!workspace) {
    workspace = path.join(tmpDir, 'workspace');
    if (!fs.existsSync(workspace)) fs.cpSync(FIXTURE_WORKSPACE, workspace, { recursive: true });
  }
  const cliArgs = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  for (const vsix of opts.vsix ?? []) runCli(entry, [...cliArgs, '--install-extension', vsix, '--force']);

  const port = opts.port ?? (await freePort());
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      entry, ...cliArgs,
      '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', workspace,
    ],
    { stdio: ['ignore', opts.verbose ? 'inherit' : out, opts.verbose ? 'inherit' : out], detached: true },
  );
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killTree(child);
    fs.closeSync(out);
    if (!persistent && !process.env.KEEP_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, logFile, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url, port, workspace, tmpDir, logFile, cliArgs, stop,
    workbenchUrl(extraQuery = {}) {
      const q = new URLSearchParams({ folder: workspace!, ...extraQuery });
      return `${url}/?${q.toString()}`;
    },
  };
}

/** SIGTERM to the process group (server, extension hosts, pty host, watchers), then SIGKILL after 5 s. */
export async function killTree(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  signal('SIGKILL'); // stragglers in the group
}

/**
 * Runs `body` with the server/browser cleanup guaranteed: on return or throw, on Ctrl+C/SIGTERM (exit 130)
 * and when `timeoutMs` passes (message naming `label`, exit 124).
 */
export async function withCleanup<T>(label: string, timeoutMs: number, cleanup: () => Promise<void>, body: () => Promise<T>): Promise<T> {
  const timer = setTimeout(() => {
    console.error(`${label}: FAILED — overall timeout of ${timeoutMs / 1000} s reached; stopping`);
    void cleanup().then(() => process.exit(124));
  }, timeoutMs);
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body();
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}
