/**
 * The goals, judged on one run's results. Each is a measured ratio with PASS/FAIL; a goal
 * over several configurations passes only when every configuration does, and its value is the
 * worst one. Ratios use medians (the typical run), the best run is given beside it.
 */
import {
  decodeBytesPerToken,
  decodeRooflineTokensPerS,
  fractionOf,
  limitFor,
  prefillRooflineTokensPerS,
  type Limit,
  type ModelShape,
} from './roofline';
import type { BenchResults, DecodeResult, Goal, PrefillResult, ThroughputCell } from './types';

export const TARGETS = {
  keystrokeShareOfCold: 0.1,
  decodeBandwidthShare: 0.5,
  prefillComputeShare: 0.4,
  speedupOverNaive: 3,
  eventLoopP99Ms: 10,
} as const;

export interface RooflineShare {
  /** Tokens/s the roofline allows. */
  limitTokensPerS: number;
  /** Median and best run as a share of it. */
  median: number;
  best: number;
  limit: Limit;
}

export function decodeShare(shape: ModelShape, cell: Pick<ThroughputCell, 'dtype' | 'threads'>, d: DecodeResult, limits: readonly Limit[]): RooflineShare | null {
  const limit = limitFor(limits, cell.threads);
  if (!limit) return null;
  const bytes = decodeBytesPerToken(shape, cell.dtype, d.context).total;
  const max = decodeRooflineTokensPerS(bytes, limit.value);
  return { limitTokensPerS: max, median: fractionOf(d.tokensPerS.median, max)!, best: fractionOf(d.tokensPerS.best, max)!, limit };
}

export function prefillShare(shape: ModelShape, cell: Pick<ThroughputCell, 'threads'>, p: PrefillResult, limits: readonly Limit[]): RooflineShare | null {
  const limit = limitFor(limits, cell.threads);
  if (!limit) return null;
  const max = prefillRooflineTokensPerS(shape, p.tokens, limit.value);
  return { limitTokensPerS: max, median: fractionOf(p.tokensPerS.median, max)!, best: fractionOf(p.tokensPerS.best, max)!, limit };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;

function judge(id: string, title: string, target: string, values: { value: number; detail: string; pass: boolean }[], worst: 'max' | 'min', display: (v: number) => string, why: string): Goal {
  if (values.length === 0) return { id, title, target, value: null, display: 'not measured in this run', status: 'NOT MEASURED', details: [] };
  const value = worst === 'max' ? Math.max(...values.map((v) => v.value)) : Math.min(...values.map((v) => v.value));
  const pass = values.every((v) => v.pass);
  return { id, title, target, value, display: display(value), status: pass ? 'PASS' : 'FAIL', details: [...values.map((v) => v.detail), ...(pass ? [] : [why])] };
}

export function evaluateGoals(r: Pick<BenchResults, 'models' | 'throughput' | 'latency' | 'roofline'>, limits: { flops: Limit[]; readBytes: Limit[] }): Goal[] {
  const goals: Goal[] = [];
  const latency = (r.latency ?? []).filter((c) => !c.error);
  const scenario = (c: (typeof latency)[number], name: string, naive = false) => (naive ? c.naive : c.scenarios).find((s) => s.name === name);

  // (1) one more character vs a cold request for the same prompt, embedded model.
  goals.push(
    judge(
      'keystroke',
      'Typing one more character (embedded model, 16 new tokens) vs a cold request for the same prompt',
      `<= ${pct(TARGETS.keystrokeShareOfCold)}`,
      latency.flatMap((c) => {
        const typed = scenario(c, 'one more character');
        const cold = scenario(c, 'cold');
        if (!typed || !cold) return [];
        const v = typed.ms.median / cold.ms.median;
        const cached = scenario(c, 'prompt cached');
        const floor = cached ? `; the same prompt again is ${pct(cached.ms.median / cold.ms.median)} of cold` : '';
        const through = scenario(c, 'typing the suggestion');
        const suggestion = through ? `; typing the suggested character instead: ${pct(through.ms.median / cold.ms.median)} (${ms(through.ms.median)})` : '';
        return [{ value: v, pass: v <= TARGETS.keystrokeShareOfCold, detail: `${c.backend} x${c.threads}: ${pct(v)} (${ms(typed.ms.median)} / ${ms(cold.ms.median)}; ${typed.reusedTokens} of ${typed.promptTokens} prompt tokens reused${floor}${suggestion})` }];
      }),
      'max',
      pct,
      'Why: when the typed character is not the one the completion suggested, the model has not seen the new positions: the prefix is reused (only 1-2 prompt tokens run) but the 16 new tokens are 16 decode steps, while a cold request is one batched prefill plus the same 16 steps, so the ratio cannot fall far below 16 steps / (prefill + 16 steps). Typing the suggested character replays stored logits and runs the model only past them (see "typing the suggestion").',
    ),
  );

  // (2) GPT-2 small int8 on onnxruntime-node: decode vs bandwidth roofline, prefill vs sgemm roofline.
  const small = r.models.find((m) => m.key === 'gpt2-small');
  const smallCells = (r.throughput ?? []).flatMap((g) => g.cells).filter((c) => !c.error && c.model === 'gpt2-small' && c.dtype === 'int8' && c.backend === 'native');
  goals.push(
    judge(
      'decode-roofline',
      'Decode, GPT-2 small int8, onnxruntime-node, vs the memory-bandwidth roofline',
      `>= ${pct(TARGETS.decodeBandwidthShare)}`,
      small
        ? smallCells.flatMap((c) =>
            c.decode.slice(0, 1).flatMap((d) => {
              const s = decodeShare(small.shape, c, d, limits.readBytes);
              if (!s) return [];
              // On one thread, CPU time is what a step costs when it has the core: a load-independent view.
              const cpu = c.threads === 1 && d.cpuMsPerToken > 0 ? `; on CPU time ${pct(1000 / s.limitTokensPerS / d.cpuMsPerToken)}` : '';
              return [{ value: s.median, pass: s.median >= TARGETS.decodeBandwidthShare, detail: `x${c.threads} at context ${d.context}: ${pct(s.median)} median, ${pct(s.best)} best${cpu} (${d.tokensPerS.median.toFixed(1)} of ${s.limitTokensPerS.toFixed(0)} tokens/s; ${s.limit.source})` }];
            }),
          )
        : [],
      'min',
      pct,
      'Why: compare "ms/token" with "ORT run" and "CPU" in the throughput table: wall time far above CPU time means the step waited for a core (shared machine); CPU time far above the roofline time is the engine. Decode time growing with the context (256 vs ~1k rows) is the KV cache: the graph concatenates past and new keys/values every step and attention reads them all (the engine no longer copies the cache out of ONNX Runtime). See the analysis.',
    ),
  );
  goals.push(
    judge(
      'prefill-roofline',
      'Prefill, GPT-2 small int8, onnxruntime-node, vs the sgemm roofline',
      `>= ${pct(TARGETS.prefillComputeShare)}`,
      small
        ? smallCells.flatMap((c) =>
            c.prefill.flatMap((p) => {
              const s = prefillShare(small.shape, c, p, limits.flops);
              if (!s) return [];
              const cpu = c.threads === 1 && p.cpuMs > 0 ? `; on CPU time ${pct((p.tokens * 1000) / s.limitTokensPerS / p.cpuMs)}` : '';
              return [{ value: s.median, pass: s.median >= TARGETS.prefillComputeShare, detail: `x${c.threads}, ${p.tokens} tokens: ${pct(s.median)} median, ${pct(s.best)} best${cpu} (${p.tokensPerS.median.toFixed(0)} of ${s.limitTokensPerS.toFixed(0)} tokens/s; ${s.limit.source})` }];
            }),
          )
        : [],
      'min',
      pct,
      'Why: the graph computes logits for every prompt position (all discarded but the last: the "discarded logits" share below) and the full masked score rectangle per 128-token chunk; on a shared machine, also waiting for a core (compare the CPU-time share).',
    ),
  );

  // (3) keystroke latency vs the naive pipeline.
  goals.push(
    judge(
      'vs-naive',
      'Keystroke (one more character) vs the naive transformers.js text-generation pipeline',
      `>= ${TARGETS.speedupOverNaive}x faster`,
      latency.flatMap((c) => {
        const ours = scenario(c, 'one more character');
        const naive = scenario(c, 'one more character', true);
        if (!ours || !naive) return [];
        const v = naive.ms.median / ours.ms.median;
        const cold = scenario(c, 'cold');
        const vsCold = cold ? `; naive vs our cold request ${(naive.ms.median / cold.ms.median).toFixed(1)}x` : '';
        const through = scenario(c, 'typing the suggestion');
        const suggestion = through ? `; typing the suggested character: ${(naive.ms.median / through.ms.median).toFixed(1)}x` : '';
        return [{ value: v, pass: v >= TARGETS.speedupOverNaive, detail: `${c.backend} x${c.threads}: ${v.toFixed(1)}x (${ms(naive.ms.median)} naive / ${ms(ours.ms.median)}${vsCold}${suggestion})` }];
      }),
      'min',
      (v) => `${v.toFixed(1)}x`,
      'Why: when the typed character is not the suggested one, both run the 16 decode steps of the same ONNX graph and our gain is the prefill that prefix reuse skips; below 3x when decode dominates the naive request too. Typing the suggested character is served from stored logits (see the first goal).',
    ),
  );

  // (4) event-loop lag of the main thread while completions run in the worker.
  goals.push(
    judge(
      'event-loop',
      'Main-thread event-loop lag (p99) while completions run in the worker',
      `< ${TARGETS.eventLoopP99Ms} ms`,
      latency.map((c) => {
        const l = c.eventLoopLagMs;
        return {
          value: l.busy.p99,
          pass: l.busy.p99 < TARGETS.eventLoopP99Ms,
          detail: `${c.backend} x${c.threads}: p99 ${ms(l.busy.p99)}, max ${ms(l.busy.max)} (idle reference p99 ${ms(l.idle.p99)})`,
        };
      }),
      'max',
      ms,
      'Why: compare with the idle reference (the same process with the worker idle): when that is high too, the lag comes from the machine being oversubscribed (other processes), not from the completions.',
    ),
  );
  return goals;
}
