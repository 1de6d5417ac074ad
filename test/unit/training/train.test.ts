import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configFromJson } from '../../../src/model/config';
import { readWeights, tensorLayout } from '../../../src/model/weights';
import { loadTrainConfig, TrainConfig } from '../../../training/trainer/config';
import { readCheckpointWeights } from '../../../training/trainer/checkpoint';
import { spawnSync } from 'node:child_process';
import { buildNative, eventsOf, NATIVE_BIN, runTraining, TrainerEvent } from '../../../training/trainer/run';

const TINY = path.resolve(__dirname, '../../../training/configs/tiny.json');
const VOCAB = 64;

/** Documents of counting runs (4, 5, 6, ... wrapping at VOCAB), separated by id 0: easy to learn. */
function syntheticTokens(n: number, seed: number): Uint16Array {
  const out = new Uint16Array(n);
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  let i = 0;
  while (i < n) {
    const start = Math.floor(rand() * (VOCAB - 4));
    const len = 8 + Math.floor(rand() * 40);
    for (let k = 0; k < len && i < n; k++) out[i++] = 4 + ((start + k) % (VOCAB - 4));
    if (i < n) out[i++] = 0;
  }
  return out;
}

function makeData(dir: string): { train: string; val: string; meta: string } {
  const train = path.join(dir, 'train.bin');
  const val = path.join(dir, 'val.bin');
  const meta = path.join(dir, 'meta.json');
  fs.writeFileSync(train, Buffer.from(syntheticTokens(20000, 1).buffer));
  fs.writeFileSync(val, Buffer.from(syntheticTokens(4000, 2).buffer));
  fs.writeFileSync(meta, JSON.stringify({ vocabSize: VOCAB }));
  return { train, val, meta };
}

describe('native trainer (training/train.ts)', function () {
  this.timeout(120000);
  let tmp: string;
  let cfg: TrainConfig;
  const quiet = () => {};

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-train-test-'));
    buildNative();
    cfg = loadTrainConfig(TINY, makeData(tmp));
  });
  // `tmp` is unset when mkdtemp itself failed: the teardown must not add a second error to the first.
  after(() => {
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lowers training and validation loss on a learnable token stream', async () => {
    const res = await runTraining(cfg, { outDir: path.join(tmp, 'a'), resume: false, log: quiet, snapshotData: true });
    assert.equal(res.finished, true);
    assert.ok(fs.readFileSync(path.join(tmp, 'a', 'data', 'train.bin')).equals(fs.readFileSync(cfg.data.train)), 'data snapshot');
    const steps = eventsOf(res.events, 'step');
    assert.equal(steps.at(-1)?.step, cfg.training.steps);
    const first = steps[0].loss;
    const last = steps.at(-1)!.loss;
    assert.ok(Math.abs(first - Math.log(VOCAB)) < 0.5, `initial loss ${first} should be near ln(${VOCAB}) = ${Math.log(VOCAB).toFixed(2)}`);
    assert.ok(last < first - 1.5, `loss should fall by > 1.5 nats: ${first} -> ${last}`);
    const evals = eventsOf(res.events, 'eval');
    assert.ok(evals.length >= 2);
    assert.ok(evals.at(-1)!.val_loss < first - 1.5, `val loss ${evals.at(-1)!.val_loss}`);
  });

  it('writes final/config.json + model.safetensors that src/model/weights.ts reads back', () => {
    const final = path.join(tmp, 'a', 'final');
    const config = configFromJson(JSON.parse(fs.readFileSync(path.join(final, 'config.json'), 'utf8')), 'final/config.json');
    assert.deepEqual(
      { V: config.vocab_size, P: config.n_positions, C: config.n_embd, L: config.n_layer, H: config.n_head },
      { V: VOCAB, P: 64, C: 32, L: 2, H: 2 },
    );
    const w = readWeights(path.join(final, 'model.safetensors'), config);
    const fromCkpt = readCheckpointWeights(path.join(tmp, 'a', 'checkpoint.bin'), config).weights;
    for (const t of tensorLayout(config)) assert.deepEqual(t.get(w), t.get(fromCkpt), t.name);
    // trained, not the init: layernorm weights moved away from 1
    assert.ok(w.layers[0].ln_1_weight.some((v) => Math.abs(v - 1) > 1e-3));
  });

  it('resumes from a checkpoint to exactly the state of an uninterrupted run', async () => {
    const dir = path.join(tmp, 'b');
    const part1 = await runTraining(cfg, { outDir: dir, resume: false, stopAfter: 13, log: quiet });
    assert.equal(part1.finished, false);
    assert.equal(eventsOf(part1.events, 'step').at(-1)?.step, 13);
    const part2 = await runTraining(cfg, { outDir: dir, resume: true, log: quiet });
    assert.equal(part2.finished, true);
    assert.equal(eventsOf(part2.events, 'step')[0].step, 14);
    const ref = fs.readFileSync(path.join(tmp, 'a', 'checkpoint.bin'));
    const got = fs.readFileSync(path.join(dir, 'checkpoint.bin'));
    // header word 15 is wall-clock training time; everything else (weights, AdamW m/v, step, RNG) must match
    assert.deepEqual(got.subarray(0, 15 * 8), ref.subarray(0, 15 * 8));
    assert.ok(got.subarray(256).equals(ref.subarray(256)), 'weights and optimizer state differ after resume');
  });

  it('ends on the wall-time budget (max_minutes) with the learning rate decayed, and writes final/', async () => {
    const budget = 1.2; // seconds
    const timed: TrainConfig = { ...cfg, training: { ...cfg.training, steps: 1_000_000, warmup_steps: 0, max_minutes: budget / 60 } };
    const res = await runTraining(timed, { outDir: path.join(tmp, 'timed'), resume: false, log: quiet });
    assert.equal(res.finished, true);
    const steps = eventsOf(res.events, 'step');
    const last = steps.at(-1)!;
    assert.ok(last.step < 1_000_000 && last.elapsed_s >= budget && last.elapsed_s < budget + 10, `stopped at step ${last.step} after ${last.elapsed_s} s`);
    // the cosine follows time, not the (huge) step count: lr falls monotonically from lr to near min_lr
    const { lr, min_lr } = timed.training;
    assert.ok(Math.abs(steps[0].lr - lr) < 0.01 * lr, `first lr ${steps[0].lr}`);
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i].lr <= steps[i - 1].lr, `lr rose at step ${steps[i].step}`);
    const slack = 0.2; // s: the process can be descheduled between its clock reads on shared CPUs
    const progress = Math.max(0, (last.elapsed_s - last.step_ms / 1000 - slack) / budget);
    const bound = min_lr + 0.5 * (lr - min_lr) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    assert.ok(last.lr <= bound, `last lr ${last.lr} should be <= ${bound} (time progress >= ${progress.toFixed(2)})`);
    assert.ok(fs.existsSync(path.join(tmp, 'timed', 'final', 'model.safetensors')));
  });

  it('a time-budgeted warmup-stable-decay run fixes its decay in steps when the stable phase ends; training.json replays it bit for bit', async () => {
    const budget = 1.5; // seconds
    const timed: TrainConfig = { ...cfg, training: { ...cfg.training, steps: 1_000_000, warmup_steps: 5, decay_fraction: 0.5, max_minutes: budget / 60 } };
    const res = await runTraining(timed, { outDir: path.join(tmp, 'wsd-timed'), resume: false, log: quiet });
    assert.equal(res.finished, true);
    const fixed = eventsOf(res.events, 'schedule');
    assert.equal(fixed.length, 1, 'one schedule event');
    const { decay_start_step: start, steps: total } = fixed[0];
    // the decay gets the share of the steps that decay_fraction gives it of the time: (start - warmup) * 0.5 / 0.5
    assert.equal(total, start + Math.ceil(start - 5));
    const steps = eventsOf(res.events, 'step');
    assert.equal(steps.at(-1)!.step, total, 'the run ends at the fixed step count, not on the clock');
    const { lr, min_lr } = timed.training;
    // step events carry the lr of the step just taken (index step - 1)
    const lrAt = (s: number) => steps.find((e) => e.step === s + 1)!.lr;
    assert.equal(lrAt(start), lr);
    assert.ok(Math.abs(lrAt(total - 1) - (min_lr + (lr - min_lr) * (1 - Math.sqrt((total - 1 - start) / (total - start))))) < 1e-6 * lr);
    const training = JSON.parse(fs.readFileSync(path.join(tmp, 'wsd-timed', 'final', 'training.json'), 'utf8')) as { replay: object; steps: number };
    assert.deepEqual(training.replay, { steps: total, decay_start_step: start, max_minutes: 0 });
    assert.equal(training.steps, total);

    // The replay, interrupted after the decay began and resumed under the time-budgeted config: the checkpoint's
    // fixed schedule wins over the config's clock and step count.
    const replay: TrainConfig = { ...timed, training: { ...timed.training, ...training.replay } };
    const dir = path.join(tmp, 'wsd-replay');
    const part1 = await runTraining(replay, { outDir: dir, resume: false, stopAfter: start + 3, log: quiet });
    assert.equal(part1.finished, false);
    const part2 = await runTraining(timed, { outDir: dir, resume: true, log: quiet });
    assert.equal(part2.finished, true);
    assert.equal(eventsOf(part2.events, 'start')[0].steps, total);
    const ref = fs.readFileSync(path.join(tmp, 'wsd-timed', 'checkpoint.bin'));
    const got = fs.readFileSync(path.join(dir, 'checkpoint.bin'));
    // header word 15 is wall-clock training time; everything else (weights, AdamW m/v, step, RNG, schedule) must match
    assert.deepEqual(got.subarray(0, 15 * 8), ref.subarray(0, 15 * 8));
    assert.deepEqual(got.subarray(16 * 8, 18 * 8), ref.subarray(16 * 8, 18 * 8));
    assert.ok(got.subarray(256).equals(ref.subarray(256)), 'weights and optimizer state differ from the time-budgeted run');
  });

  it('refuses to overwrite a run or resume a missing one, naming the file', async () => {
    await assert.rejects(runTraining(cfg, { outDir: path.join(tmp, 'a'), resume: false, log: quiet }), /a\/checkpoint\.bin: a checkpoint already exists; pass --resume/);
    await assert.rejects(runTraining(cfg, { outDir: path.join(tmp, 'none'), resume: true, log: quiet }), /none\/checkpoint\.bin: no checkpoint to resume from/);
  });

  it('reports a missing token file and out-of-range token ids', async () => {
    const missing = loadTrainConfig(TINY, { ...makeData(tmp), train: path.join(tmp, 'nope.bin') });
    await assert.rejects(runTraining(missing, { outDir: path.join(tmp, 'c'), resume: false, log: quiet }), /nope\.bin: token file not found/);
    const bad = path.join(tmp, 'bad.bin');
    fs.writeFileSync(bad, Buffer.from(new Uint16Array(500).fill(VOCAB + 3).buffer));
    const badCfg = loadTrainConfig(TINY, { ...makeData(tmp), train: bad });
    await assert.rejects(runTraining(badCfg, { outDir: path.join(tmp, 'd'), resume: false, log: quiet }), /bad\.bin: token 67 at index 0 is >= vocab_size 64/);
  });

  it('rejects a config that cannot describe a run, naming the file and setting', () => {
    const file = path.join(tmp, 'broken.json');
    const data = makeData(tmp);
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 30, n_head: 4, n_positions: 16 }, training: { steps: 1 } }));
    assert.throws(() => loadTrainConfig(file, data), /broken\.json \(model\): n_embd \(30\) must be divisible by n_head \(4\)/);
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { steps: 1, seq_len: 32 } }));
    assert.throws(() => loadTrainConfig(file, data), /broken\.json: training\.seq_len \(32\) exceeds model\.n_positions \(16\)/);
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { step: 1 } }));
    assert.throws(() => loadTrainConfig(file, data), /broken\.json: unknown setting training\.step/);
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { steps: 1 } }));
    assert.throws(() => loadTrainConfig(file, { ...data, meta: path.join(tmp, 'missing-meta.json') }), /missing-meta\.json: cannot read corpus meta\.json/);
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { steps: 1, seq_len: 8, decay_fraction: 1.5 } }));
    assert.throws(() => loadTrainConfig(file, data), /broken\.json: training\.decay_fraction must be in \[0, 1\]/);
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { steps: 10, seq_len: 8, decay_fraction: 0.3, decay_start_step: 4, max_minutes: 5 } }));
    assert.throws(() => loadTrainConfig(file, data), /broken\.json: training\.decay_start_step \(4\) replays a schedule in steps and cannot be combined with training\.max_minutes/);
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { steps: 10, seq_len: 8, decay_fraction: 0.3, decay_start_step: 10 } }));
    assert.throws(() => loadTrainConfig(file, data), /broken\.json: training\.decay_start_step \(10\) must be an integer in \[training\.warmup_steps, training\.steps\) = \[100, 10\)/);
    fs.writeFileSync(file, JSON.stringify({ init_from: 'git:main:models/x', model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { steps: 1, seq_len: 8 } }));
    assert.throws(() => loadTrainConfig(file, data), /broken\.json: "init_from" "git:main:models\/x" is not git:<commit>:<model folder>/);
  });

  it('warmup-stable-decay: peak lr until the last decay_fraction of the run, then 1 - sqrt down to min_lr', () => {
    const args = ['--vocab-size', '64', '--n-positions', '16', '--n-layer', '1', '--n-embd', '8', '--seq-len', '8', '--steps', '10',
      '--warmup-steps', '2', '--lr', '1', '--min-lr', '0.1', '--decay-fraction', '0.5', '--print-schedule', '1'];
    const r = spawnSync(NATIVE_BIN, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lrs = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { lr: number }).lr);
    // warmup 0.5, 1; stable while (step - 2) / 8 <= 0.5; then 0.1 + 0.9 * (1 - sqrt((p - 0.5) / 0.5))
    const expected = [0.5, 1, 1, 1, 1, 1, 1, 0.55, 0.1 + 0.9 * (1 - Math.sqrt(0.5)), 0.1 + 0.9 * (1 - Math.sqrt(0.75))];
    assert.equal(lrs.length, expected.length);
    lrs.forEach((lr, i) => assert.ok(Math.abs(lr - expected[i]) < 1e-7, `step ${i}: lr ${lr}, expected ${expected[i]}`));
    // with a time budget, the decay follows the time: stable for the first half, min_lr at the end
    const timed = spawnSync(NATIVE_BIN, [...args, '--max-seconds', '100'], { encoding: 'utf8' });
    const byTime = timed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { elapsed_s?: number; lr: number }).filter((e) => e.elapsed_s !== undefined);
    assert.deepEqual(byTime.filter((e) => e.elapsed_s! <= 50).map((e) => e.lr), new Array(51).fill(1));
    assert.ok(Math.abs(byTime.find((e) => e.elapsed_s === 75)!.lr - (0.1 + 0.9 * (1 - Math.sqrt(0.5)))) < 1e-7);
    assert.ok(Math.abs(byTime.at(-1)!.lr - 0.1) < 1e-9);
    // fixed in steps (--decay-start-step, a replay): peak lr through step 4, then 1 - sqrt over steps 4..10
    const replay = spawnSync(NATIVE_BIN, [...args, '--decay-start-step', '4'], { encoding: 'utf8' });
    assert.equal(replay.status, 0, replay.stderr);
    const replayed = replay.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { lr: number }).lr);
    const fixedExpected = [0.5, 1, 1, 1, 1, ...[1, 2, 3, 4, 5].map((k) => 0.1 + 0.9 * (1 - Math.sqrt(k / 6)))];
    replayed.forEach((lr, i) => assert.ok(Math.abs(lr - fixedExpected[i]) < 1e-7, `step ${i}: lr ${lr}, expected ${fixedExpected[i]}`));
    const both = spawnSync(NATIVE_BIN, [...args, '--decay-start-step', '4', '--max-seconds', '100'], { encoding: 'utf8' });
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--decay-start-step replays a schedule in steps; it cannot be combined with --max-seconds/);
  });

  it('trains with Muon for the hidden matrices when training.optimizer is "muon"', async () => {
    const muon: TrainConfig = { ...cfg, training: { ...cfg.training, optimizer: 'muon', lr: 0.02, min_lr: 0.002 } };
    const res = await runTraining(muon, { outDir: path.join(tmp, 'muon'), resume: false, log: quiet });
    const start = eventsOf(res.events, 'start')[0];
    assert.equal(start?.optimizer, 'muon');
    const steps = eventsOf(res.events, 'step');
    assert.ok(steps.at(-1)!.loss < steps[0].loss - 1.5, `loss should fall by > 1.5 nats: ${steps[0].loss} -> ${steps.at(-1)!.loss}`);
    const file = path.join(tmp, 'bad-optimizer.json');
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { steps: 1, seq_len: 8, optimizer: 'sgd' } }));
    assert.throws(() => loadTrainConfig(file, makeData(tmp)), /bad-optimizer\.json: training\.optimizer must be "adamw" or "muon", got "sgd"/);
  });

  // oneDNN 2.6 has a bf16 matmul on every AVX-512 core (AMX and AVX-512 BF16 kernels where the CPU
  // has them, gemm:jit otherwise) and none below it: on an AVX2-only CPU bf16 must be refused with
  // the reason, and the fp32 run must still report its kernel.
  const cpuFlags = new Set((fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
  const bf16Here = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => cpuFlags.has(f));
  it(`bf16 matrix products (training.precision "bf16") ${bf16Here ? 'train and say which kernels ran' : 'are refused with the reason on this CPU (no AVX-512)'}; fp32 says OpenBLAS`, async () => {
    const run = async (precision: 'fp32' | 'bf16') => {
      const c: TrainConfig = { ...cfg, training: { ...cfg.training, precision } };
      return (await runTraining(c, { outDir: path.join(tmp, `precision-${precision}`), resume: false, log: quiet })).events;
    };
    const fp32 = await run('fp32');
    const kernels = (events: TrainerEvent[]) => eventsOf(events, 'matmul')[0];
    assert.deepEqual(kernels(fp32), { event: 'matmul', precision: 'fp32', kernels: 'OpenBLAS sgemm' });
    if (bf16Here) {
      const bf16 = await run('bf16');
      const k = kernels(bf16);
      assert.equal(k?.precision, 'bf16');
      // The linear layers' and LM head's products (the attention's per-head ones stay sgemm, matmul.h).
      assert.match(k?.kernels ?? '', /^oneDNN bf16 \S+$/, `kernels: ${k?.kernels}`);
      const a = eventsOf(fp32, 'step');
      const b = eventsOf(bf16, 'step');
      // Same data, seed and schedule: bf16 rounding changes the path a little, not what is learned.
      assert.ok(b.at(-1)!.loss < b[0].loss - 1.5, `bf16 loss should fall by > 1.5 nats: ${b[0].loss} -> ${b.at(-1)!.loss}`);
      assert.ok(Math.abs(a.at(-1)!.loss - b.at(-1)!.loss) < 0.1, `final loss fp32 ${a.at(-1)!.loss} vs bf16 ${b.at(-1)!.loss}`);
    } else {
      await assert.rejects(run('bf16'), /--precision bf16: oneDNN has no bf16 matmul for this CPU \(status \d+\); train with --precision fp32/);
    }
    const file = path.join(tmp, 'bad-precision.json');
    fs.writeFileSync(file, JSON.stringify({ model: { n_layer: 1, n_embd: 32, n_head: 4, n_positions: 16 }, training: { steps: 1, seq_len: 8, precision: 'fp16' } }));
    assert.throws(() => loadTrainConfig(file, makeData(tmp)), /bad-precision\.json: training\.precision must be one of "fp32", "bf16", got "fp16"/);
  });

  it('init_from starts a run from a model folder\'s weights, and config.json names the FIM order when the corpus has FIM examples', async () => {
    const source = path.join(tmp, 'a', 'final'); // trained by the first test
    const fimMeta = path.join(tmp, 'fim-meta.json');
    fs.writeFileSync(fimMeta, JSON.stringify({ vocabSize: VOCAB, fim: { rate: 0.5, examples: 3, order: 'spm' } }));
    const continued: TrainConfig = { ...cfg, init_from: source, data: { ...cfg.data, meta: fimMeta }, training: { ...cfg.training, steps: 3, warmup_steps: 1 } };
    const res = await runTraining(continued, { outDir: path.join(tmp, 'init'), resume: false, log: quiet, snapshotData: true });
    const first = eventsOf(res.events, 'step')[0];
    const trainedLoss = first.loss;
    assert.equal(first.step, 1);
    assert.ok(trainedLoss < Math.log(VOCAB) - 1.5, `first loss ${trainedLoss} should be that of the trained model, well below ln(${VOCAB})`);
    const exported = JSON.parse(fs.readFileSync(path.join(tmp, 'init', 'final', 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(exported.fim, 'spm');
    assert.equal(exported.model_type, 'gpt2');
    const provenance = JSON.parse(fs.readFileSync(path.join(tmp, 'init', 'final', 'training.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(provenance.init_from, path.relative(process.cwd(), source));
    // a corpus without FIM examples: no fim key
    const plain = JSON.parse(fs.readFileSync(path.join(tmp, 'a', 'final', 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(plain.fim, undefined);
  });
});
