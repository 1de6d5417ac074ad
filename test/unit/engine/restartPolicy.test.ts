import { strict as assert } from 'node:assert';
import { afterCrash, recentCrashes, type RestartPolicy } from '../../../src/engine/restartPolicy';

const policy: RestartPolicy = { backoffMs: [500, 2_000, 8_000], maxCrashes: 4, crashWindowMs: 60_000 };

describe('engine/restartPolicy', () => {
  it('backs off 500, 2000, 8000 ms for the first three crashes, then gives up at the fourth', () => {
    let crashes: number[] = [];
    const delays: number[] = [];
    for (const now of [1_000, 2_000, 3_000]) {
      const decision = afterCrash(crashes, now, policy);
      assert.equal(decision.action, 'restart');
      if (decision.action === 'restart') delays.push(decision.delayMs);
      crashes = decision.crashes;
    }
    assert.deepEqual(delays, [500, 2_000, 8_000]);
    assert.deepEqual(afterCrash(crashes, 4_000, policy), { action: 'give-up', crashes: [1_000, 2_000, 3_000, 4_000] });
  });

  it('repeats the last delay when there are more crashes allowed than delays', () => {
    const decision = afterCrash([1, 2, 3, 4], 5, { backoffMs: [10, 20], maxCrashes: 10, crashWindowMs: 100 });
    assert.deepEqual(decision, { action: 'restart', delayMs: 20, crashes: [1, 2, 3, 4, 5] });
  });

  it('forgets crashes older than the window, so a rare crash always gets the first delay', () => {
    const decision = afterCrash([0, 10_000, 20_000], 79_000, policy);
    assert.deepEqual(decision, { action: 'restart', delayMs: 2_000, crashes: [20_000, 79_000] });
    assert.deepEqual(afterCrash([0], 60_000, policy), { action: 'restart', delayMs: 500, crashes: [60_000] });
  });

  it('gives up at the first crash when one is the limit', () => {
    assert.deepEqual(afterCrash([], 7, { ...policy, maxCrashes: 1 }), { action: 'give-up', crashes: [7] });
  });

  it('counts only the crashes inside the window', () => {
    assert.deepEqual(recentCrashes([0, 60_000, 60_001], 120_000, 60_000), [60_001]);
  });
});
