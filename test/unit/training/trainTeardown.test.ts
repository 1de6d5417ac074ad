import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');

describe('native trainer tests without a C toolchain', function () {
  this.timeout(120000);

  it('report the failed build once, and the teardown after it does not throw', () => {
    // A PATH without `make`: the suite's `before all` fails as on a machine without build-essential.
    const emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), 'no-make-'));
    try {
      const mocha = path.join(REPO, 'node_modules', 'mocha', 'bin', 'mocha.js');
      const r = spawnSync(process.execPath, [mocha, '--reporter', 'dot', 'test/unit/training/train.test.ts'], {
        cwd: REPO,
        encoding: 'utf8',
        env: { ...process.env, PATH: emptyBin, CI: '' },
      });
      const out = `${r.stdout}${r.stderr}`;
      assert.equal(r.status, 1, `one failure expected:\n${out}`);
      assert.match(out, /"before all" hook/);
      assert.match(out, /make -C .* failed \(needs gcc and libopenblas-dev/);
      assert.doesNotMatch(out, /"after all" hook/);
      assert.doesNotMatch(out, /ERR_INVALID_ARG_TYPE/);
    } finally {
      fs.rmSync(emptyBin, { recursive: true, force: true });
    }
  });
});
