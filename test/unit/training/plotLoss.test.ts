import { strict as assert } from 'node:assert';
import { runsTable } from '../../../training/plotLoss';
import type { TrainerEvent } from '../../../training/trainer/run';

const step = (n: number, tokS: number, elapsed: number): TrainerEvent => ({ event: 'step', step: n, loss: 3, lr: 1e-3, grad_norm: 1, step_ms: 1, tok_s: tokS, gflops: 1, tokens: n * 4096, elapsed_s: elapsed });
const evalAt = (n: number, loss: number): TrainerEvent => ({ event: 'eval', step: n, val_loss: loss, val_tokens: 1, eval_ms: 1 });

describe('A/B table from run logs (training/plotLoss.ts --markdown)', () => {
  it('gives each run its final val loss, steps, tokens, median tokens/s (first step left out), kernels and evals by step and minute', () => {
    const bf16: TrainerEvent[] = [
      { event: 'matmul', precision: 'bf16', kernels: 'oneDNN bf16 brg:avx512_core_amx_bf16' },
      step(1, 10, 6), step(2, 8000, 12), evalAt(2, 3.25), step(3, 9000, 18), step(4, 7000, 24), evalAt(4, 3.2),
    ];
    const fp32: TrainerEvent[] = [step(1, 10, 30), step(2, 4000, 60), evalAt(2, 3.3)];
    assert.equal(
      runsTable([{ label: 'bf16', events: bf16 }, { label: 'fp32', events: fp32 }]),
      [
        '| run | final val loss | steps | tokens | median tokens/s | matrix-product kernels | val loss by step (step: loss @ minutes) |',
        '|---|---:|---:|---:|---:|---|---|',
        '| bf16 | 3.2000 | 4 | 16384 | 8000 | oneDNN bf16 brg:avx512_core_amx_bf16 | 2: 3.2500 @ 0.2 min; 4: 3.2000 @ 0.4 min |',
        '| fp32 | 3.3000 | 2 | 8192 | 4000 | — | 2: 3.3000 @ 1.0 min |',
      ].join('\n'),
    );
  });
});
