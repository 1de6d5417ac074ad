// `npm run test:integration`: builds the extension and the suite, starts code-server with fresh
// user-data/extensions folders, opens the workbench in headless Chromium with the `payload` URL that makes
// VS Code load the repo as a development extension and run dist/test/integration/index.js (mocha) in its
// extension host, prints mocha's output and exits with the suite's status. Overall timeout: 45 minutes
// (LOCAL_GPT_TEST_TIMEOUT_MS). Filter tests with LOCAL_GPT_TEST_GREP=<regex> (passed through the host env).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { format } from 'node:util';
import { launchBrowser, type Browser } from './browser';
import { REPO_ROOT, startCodeServer, withCleanup, type CodeServer } from './codeServer';

/** Workbench console chatter that reaches codeAutomationLog besides mocha's output (the gallery lookup fails offline). */
const WORKBENCH_NOISE =
  /^(Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin extensions cache|\[Service Worker\]|ChatSessionStore:|getaddrinfo ENOTFOUND open-vsx\.org)/;

const TIMEOUT_MS = Number(process.env.LOCAL_GPT_TEST_TIMEOUT_MS ?? 2_700_000);

async function main(): Promise<number> {
  const started = Date.now();
  const build = spawnSync(process.execPath, ['esbuild.js', '--tests'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed (node esbuild.js --tests)');

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const cleanup = async () => {
    await browser?.close();
    await server?.stop();
  };
  return withCleanup('integration', TIMEOUT_MS, cleanup, async () => {
    server = await startCodeServer();
    browser = await launchBrowser();
    const { page } = browser;
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server!.port}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(REPO_ROOT)],
      ['extensionTestsPath', remote(path.join(REPO_ROOT, 'dist', 'test', 'integration'))],
    ]);
    const exitCode = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (!WORKBENCH_NOISE.test(text)) console.log(text);
    });
    page.on('crash', () => console.error('integration: the browser page crashed'));
    console.log(`integration: code-server ${server.url}, workspace ${server.workspace}`);
    await page.goto(server.workbenchUrl({ payload }), { waitUntil: 'domcontentloaded', timeout: 120_000 });
    const code = await exitCode;
    console.log(`integration: suite exited with ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`integration: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
