import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { electronRunOptions, VSCODE_VERSION } from '../../harness/electronArgs';

describe('harness/electronArgs: the @vscode/test-electron run of the integration suite', () => {
  const base = { repoRoot: '/repo', workspace: '/t/ws', userDataDir: '/t/ud', extensionsDir: '/t/ext' };

  it('an executable from LOCAL_GPT_VSCODE_EXECUTABLE, the repo as the extension, the bundled suite, fresh folders', () => {
    assert.deepEqual(electronRunOptions({ ...base, env: { LOCAL_GPT_VSCODE_EXECUTABLE: ' /opt/code/code ', LOCAL_GPT_TEST_GREP: 'Faults', CI: 'true', HOME: '/root' } }), {
      vscodeExecutablePath: path.resolve('/opt/code/code'),
      extensionDevelopmentPath: '/repo',
      extensionTestsPath: path.join('/repo', 'dist', 'test', 'integration', 'index'),
      launchArgs: ['/t/ws', '--user-data-dir=/t/ud', '--extensions-dir=/t/ext', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-telemetry', '--disable-updates'],
      extensionTestsEnv: { LOCAL_GPT_TEST_GREP: 'Faults', CI: 'true' },
    });
  });

  it('without the variable, the VS Code version code-server embeds is downloaded; empty filters are not passed', () => {
    const o = electronRunOptions({ ...base, env: { LOCAL_GPT_VSCODE_EXECUTABLE: '', LOCAL_GPT_TEST_GREP: '' } });
    assert.equal(o.vscodeExecutablePath, undefined);
    assert.equal(o.version, VSCODE_VERSION);
    assert.equal(VSCODE_VERSION, '1.100.3');
    assert.deepEqual(o.extensionTestsEnv, {});
  });
});
