import { strict as assert } from 'node:assert';
import { evaluationSection, sgemmShares, trainingSection } from '../../../training/modelCard';
import type { TrainerEvent } from '../../../training/trainer/run';

const step = (n: number, gflops: number): TrainerEvent => ({ event: 'step', step: n, loss: 3, lr: 1e-3, grad_norm: 1, step_ms: 1, tok_s: 1, gflops, tokens: n, elapsed_s: n });
const bench = (sgemm: number): TrainerEvent => ({ event: 'bench', sgemm_gflops: sgemm, threads: 2, batch_size: 8, seq_len: 512 });

describe('model card from result files (training/modelCard.ts)', () => {
  it('measures the sgemm share per eval interval as the median step rate over the sgemm rate measured after it', () => {
    const events: TrainerEvent[] = [
      bench(100), // start-up measurement: no steps before it
      { event: 'start', step: 0, steps: 10, params: 1, tokens: 0, train_tokens: 1, val_tokens: 1, flops_per_token: 1, threads: 2, resumed: false },
      step(1, 5), // first step of an invocation: excluded
      step(2, 70), step(3, 80), step(4, 90),
      { event: 'eval', step: 4, val_loss: 3, val_tokens: 1, eval_ms: 1 },
      bench(100),
      step(5, 40), step(6, 60),
      bench(50),
    ];
    assert.deepEqual(sgemmShares(events), [0.8, 1.2]);
  });

  it('puts this model, the previous one and the baselines in one table with exact counts', () => {
    const row = { model: 'GPT', valLoss: 3.5, bitsPerByte: 1.25, top1: 0.4, lineExact: 0.08, lineEditSim: 0.3, lines: 150, tokens: 16384, seconds: 1 };
    const text = evaluationSection(
      { modelDir: 'tmp/new', data: 'data/corpus', rows: [row, { ...row, model: 'GPT, FIM prompt', valLoss: null as unknown as number, lineExact: 0.1 }] },
      { modelDir: 'models/old', data: 'data/corpus', rows: [{ ...row, valLoss: 3.9, lineExact: 0.04 }, { ...row, model: '4-gram', lineExact: 0.02 }] },
      'npm run eval -- X',
    );
    assert.match(text, /\| this model: GPT \| 3\.500 \| 1\.250 \| 40\.0% \| 8\.0% \(12\/150\) \| 30\.0% \|/);
    assert.match(text, /\| previous model \(`models\/old`\): GPT \| 3\.900 \| 1\.250 \| 40\.0% \| 4\.0% \(6\/150\) \| 30\.0% \|/);
    assert.match(text, /\| this model: GPT, FIM prompt \| n\/a \| 1\.250 \| 40\.0% \| 10\.0% \(15\/150\) \| 30\.0% \|/);
    assert.match(text, /\| 4-gram \| 3\.500 .* \| 2\.0% \(3\/150\) \|/);
    const order = ['this model: GPT |', 'this model: GPT, FIM', 'previous model', '4-gram'].map((k) => text.indexOf(k));
    assert.deepEqual([...order].sort((a, b) => a - b), order);
  });

  it('lists every earlier run of the chain with its totals, and names the bf16 kernels when the run used them', () => {
    const run = (steps: number, tokensPerStep: number, secondsPerStep: number): TrainerEvent[] =>
      Array.from({ length: steps }, (_, i) => ({ ...step(i + 1, 50), tokens: (i + 1) * tokensPerStep, elapsed_s: (i + 1) * secondsPerStep }));
    const events: TrainerEvent[] = [
      { event: 'start', step: 0, steps: 10, params: 1, tokens: 0, train_tokens: 1e6, val_tokens: 1, flops_per_token: 1, threads: 2, resumed: false, precision: 'bf16' },
      { event: 'matmul', precision: 'bf16', kernels: 'oneDNN bf16 brg:avx512_core_amx_bf16' },
      ...run(10, 4096, 6),
    ];
    const training = { config: 'v5', step: 10, tokens: 40960, training_seconds: 60, seq_len: 512, init_from: 'git:abc1234:training/checkpoints/v4' };
    const text = trainingSection(training, events, 'npm run train', [
      { recipe: 'v4', events: run(100, 4096, 60) },
      { recipe: 'v3', events: run(50, 4096, 120) },
    ]);
    assert.match(text, /\| those weights were trained by \| v4: 100 steps, 0\.4 M tokens, 100 min \|/);
    assert.match(text, /\| whose initial weights were trained by \| v3: 50 steps, 0\.2 M tokens, 100 min \|/);
    assert.match(text, /\| total training \(all 3 runs\) \| 0\.7 M tokens, 201 min of training wall time \|/);
    assert.match(text, /bf16 matrix products for the linear layers and the LM head \(oneDNN bf16 brg:avx512_core_amx_bf16; fp32 weights, gradients and AdamW state\), OpenBLAS `cblas_sgemm` for attention/);
    assert.match(trainingSection(training, events.filter((e) => e.event !== 'matmul'), 'r', []), /\| trainer \| `training\/native` \(C, hand-written backward, OpenBLAS `cblas_sgemm`, AdamW\)/);
    const gpu = { ...training, trainer: 'training/gpu/train_torch.py', hardware: 'NVIDIA H200, torch 2.11' };
    assert.match(trainingSection(gpu, events, 'r', []), /\| trainer \| `training\/gpu\/train_torch\.py` \(PyTorch, AdamW\) on NVIDIA H200, torch 2\.11 \|/);
  });
});
