import { strict as assert } from 'node:assert';
import { evaluateGoals } from '../../../bench/lib/goals';
import { ANALYSIS_END, ANALYSIS_START, keptAnalysis, renderBenchmarks, table } from '../../../bench/lib/markdown';
import { summarize } from '../../../bench/lib/stats';
import { SCENARIOS, type BenchResults, type LatencyCell, type LlamaCppCell, type ScenarioResult, type ThroughputCell } from '../../../bench/lib/types';
import { resolveOptions } from '../../../bench/run';
import { parseActivationMs } from '../../../bench/sections/pkg';
import { deriveLimits } from '../../../bench/sections/roofline';

const scenario = (name: string, ms: number[]): ScenarioResult => ({ name, ms: summarize(ms), promptTokens: 400, reusedTokens: 399, generatedTokens: 16 });

function latencyCell(typedMs: number, coldMs: number, naiveMs: number, lagP99: number): LatencyCell {
  return {
    backend: 'native',
    threads: 1,
    dtype: 'int8',
    model: 'embedded',
    loadMs: 900,
    workerLoadMs: 700,
    rssMiB: { before: 60, loaded: 200, peak: 230 },
    eventLoopLagMs: { idle: { p50: 1, p99: 2, max: 3, samples: 100 }, busy: { p50: 1, p99: lagP99, max: lagP99 + 1, samples: 500 } },
    scenarios: [scenario(SCENARIOS.cold, [coldMs]), scenario(SCENARIOS.typedDiffers, [typedMs]), scenario(SCENARIOS.typedSuggested, [typedMs / 10])],
    naive: [scenario(SCENARIOS.typedDiffers, [naiveMs])],
    wallMs: 1,
  };
}

const SMALL = { vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 };

function decodeCell(msPerToken: number, prefillTokensPerS = 256, threads = 1): ThroughputCell {
  const ms = summarize([msPerToken]);
  return {
    model: 'gpt2-small',
    dtype: 'int8',
    backend: 'native',
    threads,
    onnxFile: 'onnx/model_quantized.onnx',
    loadMs: 3000,
    prefill: [{ tokens: 256, requested: 256, ms: summarize([256_000 / prefillTokensPerS]), tokensPerS: { median: prefillTokensPerS, best: prefillTokensPerS, worst: prefillTokensPerS }, cpuMs: 1000 }],
    decode: [{ context: 256, steps: 15, msPerToken: ms, tokensPerS: { median: 1000 / msPerToken, best: 1000 / msPerToken, worst: 1000 / msPerToken }, ortRunMsPerToken: 1, forwardMsPerToken: 1, cpuMsPerToken: 1, sysMsPerToken: 0 }],
    naive: null,
  };
}

function results(latency: LatencyCell[], cells: ThroughputCell[]): BenchResults {
  return {
    schema: 1,
    name: 'test',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationS: 10,
    command: 'npm run bench',
    options: {},
    machine: { cpuModel: 'Test CPU', cores: 2, memoryGiB: 8, os: 'Linux', node: '20', versions: {}, loadAvgStart: [3, 2, 1], loadAvgEnd: [1, 1, 1], busyProcesses: [{ command: 'gpt-train', cpuPercent: 95 }] },
    models: [{ key: 'gpt2-small', dir: '/m', shape: SMALL, source: 'random weights', params: 124e6 }],
    throughput: [{ backend: 'native', threads: 1, ortMatMul: [], cells, wallMs: 1 }],
    latency,
    goals: [],
    notes: [],
  };
}

// 1e10 B/s read bandwidth; 1e11 flop/s fp32, 4e11 op/s int8
const LIMITS = {
  readBytes: [{ threads: 1, value: 1e10, source: 'C read 256 MiB' }],
  flops: [{ threads: 1, value: 1e11, source: 'OpenBLAS sgemm' }],
  int8Flops: [{ threads: 1, value: 4e11, source: 'ORT native int8 MatMulInteger' }],
};

function llamaCell(msPerToken: number, prefillTokensPerS: number, threads = 1): LlamaCppCell {
  const rate = { median: prefillTokensPerS, best: prefillTokensPerS, worst: prefillTokensPerS };
  return {
    model: 'gpt2-small',
    dtype: 'int8',
    ggufType: 'q8_0',
    threads,
    ggufFile: 'x.gguf',
    ggufBytes: 1,
    loadMs: 1,
    prefill: [{ tokens: 256, requested: 256, ms: summarize([256_000 / prefillTokensPerS]), tokensPerS: rate, cpuMs: 1 }],
    decode: [{ context: 256, steps: 15, msPerToken: summarize([msPerToken]), tokensPerS: { median: 1000 / msPerToken, best: 1000 / msPerToken, worst: 1000 / msPerToken }, cpuMsPerToken: msPerToken }],
  };
}

describe('bench goals', () => {
  it('passes the keystroke goal at <= 10% of a cold request and fails above, naming the configuration', () => {
    const pass = evaluateGoals(results([latencyCell(9, 100, 50, 2)], []), LIMITS).find((g) => g.id === 'keystroke')!;
    assert.equal(pass.status, 'PASS');
    assert.equal(pass.display, '9%');
    const fail = evaluateGoals(results([latencyCell(9, 100, 50, 2), latencyCell(30, 100, 50, 2)], []), LIMITS).find((g) => g.id === 'keystroke')!;
    assert.equal(fail.status, 'FAIL');
    assert.equal(fail.value, 0.3);
    assert.ok(fail.details.some((d) => d.startsWith('native x1: 30%')), fail.details.join('\n'));
  });

  it('judges a cold request on onnxruntime-node at p50 <= 25 ms and p95 <= 50 ms; WebAssembly cells are not judged', () => {
    const cold = (cells: LatencyCell[]) => evaluateGoals(results(cells, []), LIMITS).find((g) => g.id === 'cold')!;
    const pass = cold([latencyCell(9, 24, 50, 2)]);
    assert.equal(pass.status, 'PASS');
    assert.match(pass.details[0], /^native x1: p50 24 ms, p95 24 ms/);
    assert.equal(cold([latencyCell(9, 26, 50, 2)]).status, 'FAIL');
    assert.equal(cold([{ ...latencyCell(9, 60, 50, 2), backend: 'wasm' }]).status, 'NOT MEASURED');
    const slowTail = latencyCell(9, 20, 50, 2);
    slowTail.scenarios[0] = scenario(SCENARIOS.cold, [20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 60, 60]);
    assert.equal(cold([slowTail]).status, 'FAIL', 'p95 above 50 ms fails though p50 passes');
  });

  it('judges the editor request at a fresh line on onnxruntime-node at p50 <= 60 ms, and says when it was not measured', () => {
    const editor = (ms: number) => ({ ...latencyCell(9, 20, 50, 2), editor: [scenario(SCENARIOS.editorFreshLine, [ms])] });
    const goal = (cells: LatencyCell[]) => evaluateGoals(results(cells, []), LIMITS).find((g) => g.id === 'editor-request')!;
    assert.equal(goal([editor(59)]).status, 'PASS');
    assert.match(goal([editor(59)]).details[0], /^native x1: p50 59 ms/);
    assert.equal(goal([editor(61)]).status, 'FAIL');
    assert.equal(goal([latencyCell(9, 20, 50, 2)]).status, 'NOT MEASURED');
  });

  it('judges the copy model against the same scenarios without it: the worse of keystroke and cold, at most 1.2x', () => {
    const withCopyModel = (typedMs: number, coldMs: number): LatencyCell => ({
      ...latencyCell(10, 100, 50, 2),
      copyModel: [scenario(SCENARIOS.cold, [coldMs]), scenario(SCENARIOS.typedDiffers, [typedMs])],
    });
    const pass = evaluateGoals(results([withCopyModel(11, 105)], []), LIMITS).find((g) => g.id === 'copy-model')!;
    assert.deepEqual([pass.status, pass.value, pass.display], ['PASS', 1.1, '1.10x']);
    assert.deepEqual(pass.details, ['native x1: one more character, typed differs 1.10x (11 ms / 10 ms); cold 1.05x (105 ms / 100 ms)']);
    const fail = evaluateGoals(results([withCopyModel(11, 130)], []), LIMITS).find((g) => g.id === 'copy-model')!;
    assert.deepEqual([fail.status, fail.value], ['FAIL', 1.3]);
    // A run from before the copy model was measured has nothing to judge.
    assert.equal(evaluateGoals(results([latencyCell(10, 100, 50, 2)], []), LIMITS).find((g) => g.id === 'copy-model')!.status, 'NOT MEASURED');
  });

  it('judges the speed-up over the naive pipeline and the event-loop lag', () => {
    const goals = evaluateGoals(results([latencyCell(10, 100, 25, 12)], []), LIMITS);
    const naive = goals.find((g) => g.id === 'vs-naive')!;
    assert.equal(naive.display, '2.5x');
    assert.equal(naive.status, 'FAIL');
    const lag = goals.find((g) => g.id === 'event-loop')!;
    assert.equal(lag.status, 'FAIL');
    assert.equal(lag.value, 12);
  });

  it('compares decode against bytes per token over the read bandwidth', () => {
    // int8 GPT-2 small at context 256 reads ~143 MB per token: 1e10 B/s allows ~70 tokens/s
    const fast = evaluateGoals(results([], [decodeCell(20)]), LIMITS).find((g) => g.id === 'decode-roofline')!;
    assert.equal(fast.status, 'PASS', fast.details.join('\n'));
    const slow = evaluateGoals(results([], [decodeCell(100)]), LIMITS).find((g) => g.id === 'decode-roofline')!;
    assert.equal(slow.status, 'FAIL');
    assert.ok(slow.value! > 0.1 && slow.value! < 0.2, String(slow.value));
  });

  it('judges int8 prefill against the int8 ceiling, and a share above 100% is an error, not a PASS', () => {
    // GPT-2 small 256 tokens: ~45 GFLOP; 4e11 op/s allows ~2280 tokens/s, 1e11 (fp32) only ~570
    const ok = evaluateGoals(results([], [decodeCell(20, 1000)]), LIMITS).find((g) => g.id === 'prefill-roofline')!;
    assert.equal(ok.status, 'PASS');
    assert.ok(ok.value! > 0.4 && ok.value! < 0.5, String(ok.value));
    assert.match(ok.details[0], /ORT native int8 MatMulInteger/);
    const over = evaluateGoals(results([], [decodeCell(20, 3000)]), LIMITS).find((g) => g.id === 'prefill-roofline')!;
    assert.equal(over.status, 'ERROR');
    assert.match(over.display, /\(invalid\)$/);
    assert.ok(over.details.some((d) => /^ERROR: 13\d% of the int8 ceiling/.test(d)), over.details.join('\n'));
  });

  it('states the keystroke goal on a character that differs from the suggestion and reports typed = suggested beside it', () => {
    const g = evaluateGoals(results([latencyCell(30, 100, 60, 2)], []), LIMITS).find((x) => x.id === 'keystroke')!;
    assert.equal(g.value, 0.3);
    assert.match(g.title, /differs from the suggestion/);
    assert.match(g.details[0], /typing the suggested character instead: 3% \(3\.0 ms\)/);
  });

  it('compares decode and prefill with llama.cpp on the same weights, per model, both thread counts', () => {
    const r = results([], [decodeCell(20, 1000), decodeCell(18, 1500, 2)]);
    r.llamaCpp = [
      { threads: 1, version: 'b1', buildType: 'prebuilt', cells: [llamaCell(10, 500)], wallMs: 1 },
      { threads: 2, version: 'b1', buildType: 'prebuilt', cells: [llamaCell(24, 1000, 2)], wallMs: 1 },
    ];
    const goals = evaluateGoals(r, LIMITS);
    const decode = goals.find((g) => g.id === 'decode-vs-llamacpp-gpt2-small')!;
    assert.equal(decode.title.startsWith('Decode vs llama.cpp, GPT-2 small shape'), true);
    assert.equal(decode.status, 'FAIL');
    assert.equal(decode.value, 2);
    assert.deepEqual(decode.details.slice(0, 2), ['x1 at context 256: 2.00x (ours 20.00 ms/token, llama.cpp 10.00 ms/token; on CPU time 0.10x (1.00 / 10.00 ms))', 'x2 at context 256: 0.75x (ours 18.00 ms/token, llama.cpp 24.00 ms/token)']);
    assert.match(decode.details[2], /disposable one for every graph/);
    const prefill = goals.find((g) => g.id === 'prefill-vs-llamacpp-gpt2-small')!;
    assert.equal(prefill.status, 'PASS');
    assert.equal(prefill.value, 1.5);
  });

  it('says "not measured" when the run had no such section', () => {
    const goals = evaluateGoals(results([], []), LIMITS);
    assert.equal(goals.find((g) => g.id === 'keystroke')!.status, 'NOT MEASURED');
    assert.equal(goals.find((g) => g.id === 'decode-roofline')!.display, 'not measured in this run');
    assert.equal(goals.find((g) => g.id === 'decode-vs-llamacpp-gpt2-small')!.status, 'NOT MEASURED');
  });
});

describe('bench markdown', () => {
  it('renders a table with escaped pipes and right-aligned numbers', () => {
    assert.equal(table(['a', 'n'], [['x|y', 3]]), '| a | n |\n|---|---:|\n| x\\|y | 3 |');
  });

  it('refuses a row whose width differs from the header', () => {
    assert.throws(() => table(['a', 'b'], [['only one']]), /1 cells, the header 2/);
  });

  it('keeps the hand-written analysis of the previous file', () => {
    const previous = `# old\n${ANALYSIS_START}\nKV copies dominate.\n${ANALYSIS_END}\ntail`;
    assert.equal(keptAnalysis(previous), `${ANALYSIS_START}\nKV copies dominate.\n${ANALYSIS_END}`);
    assert.match(keptAnalysis(null), /No analysis written yet/);
  });

  it('writes machine load, each goal with its status, and the kept analysis', () => {
    const r = results([latencyCell(30, 100, 50, 2)], [decodeCell(100)]);
    r.goals = evaluateGoals(r, LIMITS);
    const md = renderBenchmarks(r, LIMITS, `${ANALYSIS_START}\nmine\n${ANALYSIS_END}`);
    assert.match(md, /load average at start \(1\/5\/15 min\) \| 3\.00 \/ 2\.00 \/ 1\.00/);
    assert.match(md, /gpt-train 95%/);
    assert.match(md, /Typing one more character .* \| <= 10% \| 30% \| \*\*FAIL\*\*/);
    assert.match(md, /mine/);
    assert.match(md, /\| gpt2-small \| int8 \| native x1 \| 256 \|/);
    assert.doesNotMatch(md, /discarded logits/);
  });

  it('writes the llama.cpp table with ratios and the 2-thread reason', () => {
    const r = results([], [decodeCell(20, 1000)]);
    r.llamaCpp = [{ threads: 2, version: 'b1', buildType: 'prebuilt', cells: [llamaCell(10, 500, 2)], wallMs: 1 }];
    r.throughput![0].cells[0].threads = 2;
    r.goals = evaluateGoals(r, LIMITS);
    const md = renderBenchmarks(r, LIMITS, null);
    assert.match(md, /## llama\.cpp on the same weights/);
    assert.match(md, /\| gpt2-small \| int8 \/ q8_0 \| 2 \| 256 \| 1000 \/ 500 \| 2\.00x \|/);
    assert.match(md, /\| 20\.0 \/ 10\.0 \| 2\.00x \|/);
    assert.match(md, /starts and joins a thread per decode step/);
  });
});

describe('bench options and package', () => {
  it('uses a smaller matrix for --quick, and explicit options win', () => {
    const quick = resolveOptions({ quick: true, vsix: false, llamaCpp: true, markdown: false });
    assert.deepEqual([quick.threads, quick.dtypes, quick.lengths], [[1], ['int8'], [256]]);
    const full = resolveOptions({ quick: false, vsix: false, llamaCpp: true, markdown: false, threads: [2], only: ['latency'] });
    assert.deepEqual([full.threads, full.dtypes, full.lengths, full.sections], [[2], ['fp32', 'int8'], [256, 1024], ['latency']]);
  });

  it('reads the activation time the integration suite prints (the last one)', () => {
    assert.equal(parseActivationMs('x\n      activation time: 41.5 ms (VS Code 1.100.3, web)\n... activation time: 38 ms'), 38);
    assert.equal(parseActivationMs('no such line'), null);
  });
});

describe('bench limits', () => {
  it('uses the best of wall and CPU-time rates for one thread, and wall rates only for more threads', () => {
    const measure = (label: string, threads: number, unit: 'flop' | 'byte', wallMs: number, cpuMs: number) => ({
      label,
      threads,
      work: 1e9,
      unit,
      ms: summarize([wallMs]),
      rate: { median: 1e12 / wallMs, best: 1e12 / wallMs, worst: 1e12 / wallMs },
      cpuMs: summarize([cpuMs]),
      cpuRate: { median: 1e12 / cpuMs, best: 1e12 / cpuMs, worst: 1e12 / cpuMs },
    });
    const limits = deriveLimits(
      {
        native: { available: true, measures: [measure('read 128 MiB', 1, 'byte', 100, 40), measure('read 128 MiB', 2, 'byte', 50, 60), measure('sgemm 256x768x3072', 1, 'flop', 20, 10)] },
        js: [],
        limits: { flops: [], int8Flops: [], readBytes: [] },
      },
      [],
    );
    const one = limits.readBytes.filter((l) => l.threads === 1).sort((a, b) => b.value - a.value)[0];
    assert.equal(one.value, 25e9); // 1 GB in 40 ms of CPU time
    assert.match(one.source, /on CPU time/);
    assert.deepEqual(limits.readBytes.filter((l) => l.threads === 2).map((l) => l.value), [20e9]);
    assert.equal(Math.max(...limits.flops.map((l) => l.value)), 100e9);
  });
});
