/**
 * Session-options cell: the same graph run straight on ONNX Runtime (no transformers.js) with the
 * engine's session options and with variants, so a change to src/engine/backend.ts
 * (`sessionOptionsFor`) can be judged on numbers: graph optimisation level, intra-op thread
 * spinning (native), CPU memory arena and memory pattern (WASM, where both are off by default).
 * Per variant: a 128-token prefill and decode steps at context 256 (wall and process CPU time).
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { cellMain } from '../lib/child';
import type { ModelShape } from '../lib/roofline';
import { summarize, type Summary } from '../lib/stats';
import { gptFeeds } from '../../src/model/gptFeeds';

type Ort = typeof ortNode | typeof ortWeb;
type Tensor = ortNode.Tensor;

export interface OptionsInput {
  runs: { backend: 'native' | 'wasm'; file: string; label: string; shape: ModelShape; threads: number; variants: { name: string; options: Record<string, unknown> }[] }[];
  wasmPaths: string;
  decodeSteps: number;
}

export interface OptionsVariantResult {
  backend: 'native' | 'wasm';
  model: string;
  threads: number;
  variant: string;
  options: Record<string, unknown>;
  loadMs: number;
  prefill128Ms: Summary;
  decodeMs: Summary;
  decodeCpuMs: Summary;
  decodeSysMs: Summary;
}

const now = () => performance.now();

function feeds(ort: Ort, shape: ModelShape, T: number, past: number, pkv?: Record<string, Tensor>): Record<string, Tensor> {
  const tokens = Array.from({ length: T }, (_, i) => (i * 7919 + 11) % shape.vocab_size);
  const f = gptFeeds((type, data, dims) => new ort.Tensor(type, data, dims) as Tensor, shape, tokens, { pastLength: past, past: pkv, logitsToKeep: 1 });
  if (!pkv && past > 0) {
    // A zero cache of `past` tokens, to time a step at that context length without a prefill.
    const D = shape.n_embd / shape.n_head;
    for (const name of Object.keys(f)) if (name.startsWith('past_key_values.')) f[name] = new ort.Tensor('float32', new Float32Array(shape.n_head * past * D), [1, shape.n_head, past, D]) as Tensor;
  }
  return f;
}

cellMain<OptionsInput, OptionsVariantResult[]>(async (input) => {
  ortWeb.env.wasm.wasmPaths = pathToFileURL(input.wasmPaths + path.sep).href;
  ortWeb.env.wasm.numThreads = 1;
  const out: OptionsVariantResult[] = [];
  for (const run of input.runs) {
    const ort: Ort = run.backend === 'native' ? ortNode : ortWeb;
    // The first session of a process pays one-off costs (thread pool, allocator): a throwaway run of
    // the first variant goes first, so the variants are compared on equal terms.
    for (const [i, v] of [run.variants[0], ...run.variants].entries()) {
      const warmUp = i === 0;
      const t0 = now();
      const session = (await ort.InferenceSession.create(run.file, v.options)) as ortNode.InferenceSession;
      const loadMs = now() - t0;
      try {
        const prefill: number[] = [];
        await session.run(feeds(ort, run.shape, 128, 0)); // warm-up
        for (let r = 0; r < 2; r++) {
          const t = now();
          await session.run(feeds(ort, run.shape, 128, 0));
          prefill.push(now() - t);
        }
        let present = (await session.run(feeds(ort, run.shape, 256, 0))) as Record<string, Tensor>;
        const wall: number[] = [];
        const cpu: number[] = [];
        const sys: number[] = [];
        for (let s = 0; s < input.decodeSteps + 1; s++) {
          const f = feeds(ort, run.shape, 1, 256 + s, present);
          const c0 = process.cpuUsage();
          const t = now();
          present = (await session.run(f)) as Record<string, Tensor>;
          const c = process.cpuUsage(c0);
          if (s === 0) continue; // first decode shape: allocation
          wall.push(now() - t);
          cpu.push((c.user + c.system) / 1000);
          sys.push(c.system / 1000);
        }
        const r: OptionsVariantResult = {
          backend: run.backend,
          model: run.label,
          threads: run.threads,
          variant: v.name,
          options: v.options,
          loadMs,
          prefill128Ms: summarize(prefill),
          decodeMs: summarize(wall),
          decodeCpuMs: summarize(cpu),
          decodeSysMs: summarize(sys),
        };
        if (warmUp) continue;
        out.push(r);
        console.log(
          `${run.backend} ${run.label} x${run.threads} ${v.name}: prefill 128 ${r.prefill128Ms.median.toFixed(1)} ms, decode ${r.decodeMs.median.toFixed(1)} ms/token ` +
            `(CPU ${r.decodeCpuMs.median.toFixed(1)} ms, sys ${r.decodeSysMs.median.toFixed(1)} ms), load ${loadMs.toFixed(0)} ms`,
        );
      } finally {
        await session.release();
      }
    }
  }
  return out;
});
