/**
 * Stopping the model worker must never take the extension host down. Terminating a worker thread
 * while onnxruntime-node works for it aborts the whole process (found by the integration fault
 * tests; `STOP=now` in fixtures/stopDuringRuns.ts shows it within a few rounds), so the worker counts
 * its native calls and whoever stops it waits for them (src/engine/nativeActivity.ts).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Transformers } from '../../../src/engine/backend';
import { NativeActivity } from '../../../src/engine/nativeActivity';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('reliability/nativeActivity: stopping the worker waits for ONNX Runtime', function () {
  this.timeout(120_000);

  it('counts calls in flight; a stop waits for them, and no new call starts once it began', async () => {
    const activity = new NativeActivity();
    let finish!: () => void;
    const call = activity.around(() => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    assert.equal(activity.inFlight, 1);
    let stopped = false;
    activity.stopWhenIdle(() => (stopped = true), 1);
    await tick();
    assert.equal(stopped, false, 'not while the call runs');
    let started = false;
    const late = activity.around(async () => {
      started = true;
      return 'late';
    });
    finish();
    assert.equal(await call, 'done');
    await tick();
    assert.equal(stopped, true, 'once it returned');
    assert.equal(started, false, 'a call after the stop began never starts');
    const settled = await Promise.race([late.then(() => true), tick().then(() => false)]);
    assert.equal(settled, false);
    assert.equal(activity.inFlight, 0);
  });

  it('the host and the worker see the same memory', () => {
    const shared = new SharedArrayBuffer(8);
    const worker = new NativeActivity(shared);
    const host = new NativeActivity(shared);
    void worker.around(() => new Promise(() => undefined));
    assert.equal(host.inFlight, 1);
  });

  it('wrap counts model loads and every session run and release', async () => {
    const activity = new NativeActivity();
    const seen: number[] = [];
    const session = {
      run: async () => void seen.push(activity.inFlight),
      release: async () => void seen.push(activity.inFlight),
    };
    const fake = {
      AutoModelForCausalLM: {
        from_pretrained: async () => {
          seen.push(activity.inFlight);
          return { sessions: { model: session } };
        },
      },
    } as unknown as Transformers;
    const model = (await activity.wrap(fake).AutoModelForCausalLM.from_pretrained('x')) as unknown as { sessions: { model: typeof session } };
    await model.sessions.model.run();
    await model.sessions.model.release();
    assert.deepEqual(seen, [1, 1, 1], 'each native call ran counted');
    assert.equal(activity.inFlight, 0);
  });

  it('the real worker, stopped mid-generation 20 times while inside ONNX Runtime: the process survives', function () {
    this.timeout(660_000);
    const script = path.join(__dirname, 'fixtures', 'stopDuringRuns.ts');
    const tsx = path.resolve(__dirname, '../../../node_modules/.bin/tsx');
    // The timeout only guards against a hang (spawnSync blocks mocha's own timer): 20 rounds take ~20 s on a
    // quiet machine and took over 100 s under a load average of 16.
    const r = spawnSync(tsx, [script], { env: { ...process.env, ROUNDS: '20' }, encoding: 'utf8', timeout: 600_000 });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, `exit ${r.status} (signal ${r.signal}):\n${out.slice(-800)}`);
    assert.match(out, /survived/);
    const inside = (out.match(/round \d+: [1-9]\d* native call\(s\) in flight/g) ?? []).length;
    assert.ok(inside >= 15, `asked to stop inside a native call in ${inside} of 20 rounds`);
  });
});
