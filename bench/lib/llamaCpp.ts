/**
 * llama.cpp through node-llama-cpp (a devDependency: its prebuilt CPU binary comes from the npm
 * registry as an optional dependency package; its install script is not run, see package.json
 * allowScripts, and is not needed). node-llama-cpp is ESM-only with top-level await, so it is
 * loaded with a dynamic import from this CommonJS project.
 */
import type * as NodeLlamaCpp from 'node-llama-cpp';

export type { NodeLlamaCpp };

let loaded: Promise<{ lib: typeof NodeLlamaCpp; llama: NodeLlamaCpp.Llama }> | null = null;

/** The CPU build of llama.cpp (never a GPU, never a build from source: a missing binary is an error). */
export function loadLlamaCpp(): Promise<{ lib: typeof NodeLlamaCpp; llama: NodeLlamaCpp.Llama }> {
  loaded ??= (async () => {
    const lib = (await import('node-llama-cpp')) as typeof NodeLlamaCpp;
    const llama = await lib.getLlama({ gpu: false, build: 'never', logLevel: lib.LlamaLogLevel.error });
    return { lib, llama };
  })();
  return loaded;
}

/**
 * Evaluates `prompt` then `continuation` (teacher forcing) in a fresh sequence and returns, for the
 * last prompt position and each continuation token but the last, llama.cpp's next-token
 * log-probabilities (natural log) over the whole vocabulary.
 */
export async function nextTokenLogProbs(sequence: NodeLlamaCpp.LlamaContextSequence, prompt: readonly number[], continuation: readonly number[], vocabSize: number): Promise<Float32Array[]> {
  await sequence.clearHistory();
  const withNext = (t: number): NodeLlamaCpp.ControlledEvaluateInputItem => [t as NodeLlamaCpp.Token, { generateNext: { probabilities: true } }];
  const input: NodeLlamaCpp.ControlledEvaluateInputItem[] = [
    ...prompt.slice(0, -1).map((t) => t as NodeLlamaCpp.Token),
    withNext(prompt[prompt.length - 1]),
    ...continuation.slice(0, -1).map(withNext),
  ];
  const out = await sequence.controlledEvaluate(input);
  const rows: Float32Array[] = [];
  for (let i = prompt.length - 1; i < input.length; i++) {
    const p = out[i]?.next.probabilities;
    if (!p) throw new Error(`llama.cpp returned no probabilities at input ${i}`);
    const row = new Float32Array(vocabSize).fill(-Infinity);
    for (const [token, prob] of p) row[token] = Math.log(prob);
    rows.push(row);
  }
  return rows;
}
