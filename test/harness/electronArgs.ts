// What `@vscode/test-electron`'s `runTests` gets for the integration suite (test/harness/run-electron.ts):
// plain data, unit-tested (test/unit/harness/electronArgs.test.ts). The suite is the same one code-server
// runs in CI (dist/test/integration/, built by `node esbuild.js --tests`), in a desktop VS Code.
import * as path from 'node:path';

/** The environment variable that names a desktop VS Code executable to run the suite in. */
export const VSCODE_EXECUTABLE_ENV = 'LOCAL_GPT_VSCODE_EXECUTABLE';
/** The VS Code version downloaded when no executable is named (the one code-server 4.100.3 embeds). */
export const VSCODE_VERSION = '1.100.3';

interface ElectronRunOptions {
  /** `vscodeExecutablePath`, or absent: runTests downloads `version` into `.vscode-test/`. */
  vscodeExecutablePath?: string;
  version?: string;
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  launchArgs: string[];
  extensionTestsEnv: Record<string, string>;
}

/**
 * The runTests options: the repo as the development extension, the bundled suite, a copy of the sample
 * workspace, fresh user-data and extensions folders (nothing from the user's own VS Code), and the
 * environment the suite reads (its filter, CI). `env` is the runner's environment.
 */
export function electronRunOptions(opts: { repoRoot: string; workspace: string; userDataDir: string; extensionsDir: string; env: NodeJS.ProcessEnv }): ElectronRunOptions {
  const executable = opts.env[VSCODE_EXECUTABLE_ENV]?.trim();
  const passOn: Record<string, string> = {};
  for (const name of ['LOCAL_GPT_TEST_GREP', 'LOCAL_GPT_TYPING_KEYS', 'CI']) {
    const value = opts.env[name];
    if (value !== undefined && value !== '') passOn[name] = value;
  }
  return {
    ...(executable ? { vscodeExecutablePath: path.resolve(executable) } : { version: VSCODE_VERSION }),
    extensionDevelopmentPath: opts.repoRoot,
    extensionTestsPath: path.join(opts.repoRoot, 'dist', 'test', 'integration', 'index'),
    launchArgs: [
      opts.workspace,
      `--user-data-dir=${opts.userDataDir}`,
      `--extensions-dir=${opts.extensionsDir}`,
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--disable-telemetry',
      '--disable-updates',
    ],
    extensionTestsEnv: passOn,
  };
}
