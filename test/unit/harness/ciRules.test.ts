import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { isStrictCi, refuseFilterInCi } from '../../harness/ciRules';

const REPO = path.resolve(__dirname, '../../..');

/** Runs the fixture suite through the repo's mocha config (.mocharc.cjs) with `CI` set to `ci`. */
function runFixture(ci: string): { status: number | null; out: string } {
  const mocha = path.join(REPO, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const r = spawnSync(process.execPath, [mocha, '--reporter', 'dot', 'test/unit/harness/fixtures/skipsOne.ts'], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, CI: ci },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('CI=true leaves nothing out (test/harness/ciRules.ts, .mocharc.cjs)', function () {
  this.timeout(60_000);

  it('a skipped unit test fails the run under CI=true and is only pending otherwise', () => {
    const ci = runFixture('true');
    assert.equal(ci.status, 1, ci.out);
    assert.match(ci.out, /1 passing/);
    assert.match(ci.out, /1 failing/);
    assert.match(ci.out, /Pending test forbidden/);
    const local = runFixture('');
    assert.equal(local.status, 0, local.out);
    assert.match(local.out, /1 pending/);
  });

  it('a test filter is refused under CI=true with the variable named, and allowed otherwise', () => {
    assert.throws(
      () => refuseFilterInCi('LOCAL_GPT_TEST_GREP', { CI: 'true', LOCAL_GPT_TEST_GREP: 'Faults' }),
      { message: 'LOCAL_GPT_TEST_GREP=Faults leaves tests out, and CI=true runs every test: unset one of them' },
    );
    assert.doesNotThrow(() => refuseFilterInCi('LOCAL_GPT_TEST_GREP', { LOCAL_GPT_TEST_GREP: 'Faults' }));
    assert.doesNotThrow(() => refuseFilterInCi('LOCAL_GPT_TEST_GREP', { CI: 'true' }));
    assert.equal(isStrictCi({ CI: 'true' }), true);
    assert.equal(isStrictCi({ CI: '1' }), false);
  });
});
