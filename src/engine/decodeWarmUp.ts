/**
 * The decode path run on a made-up prompt right after a model loads, before the first request. The
 * JavaScript of a decode step (sampling, detokenizing, the stop rules, the cache's appends) runs
 * unoptimized until V8 has seen it some dozens of times, and on a small model it is a large share of a
 * step: without this a user's first completions after a load pay for it (the bench's throughput cell
 * runs the same warm-up, so its decode rows are what a warmed worker does). `EngineSession.warmUp`
 * runs only the model's forward pass.
 */
import type { PrefixReusingGenerator } from './generate';
import type { GenerationOptions } from './protocol';

/** Decode steps run (a few rounds of a request's length): enough for V8 to optimize the loop's code. */
export const WARM_UP_DECODE_STEPS = 128;
/**
 * At most this long, ms: a large model's steps take long enough that the JavaScript around them is a
 * small share of each, and loading should not take seconds more for it.
 */
export const WARM_UP_BUDGET_MS = 400;

/** Code-shaped text, so the tokenizer, the detokenizer and the line stop see what the editor sends. */
const PROMPT = `export function clamp(value: number, low: number, high: number): number {
  if (value < low) return low;
  if (value > high) return high;
  return value;
}

export function lerp(a: number, b: number, t: number): number {
  `;

/** A fresh line in a function body, as the editor asks at one (multi-line, the block's end below). */
const FRESH_LINE: GenerationOptions = {
  maxNewTokens: 32,
  temperature: 0,
  topK: 40,
  topP: 0.95,
  seed: 1,
  stop: [],
  heal: true,
  lineStop: { linePrefix: '  ', lineSuffix: '', nextLines: ['}', ''], linesAbove: PROMPT.split('\n').slice(-7, -1), multiline: true },
};

/** The same without stops, so that each round runs its steps whatever the model writes. */
const UNSTOPPED: GenerationOptions = { ...FRESH_LINE, lineStop: undefined, heal: false };

/**
 * Runs `generator` on PROMPT until WARM_UP_DECODE_STEPS tokens were generated or WARM_UP_BUDGET_MS
 * passed, then resets it (a request must not find the made-up prompt in its cache). Returns the steps run.
 */
export async function warmUpDecoding<P>(
  generator: PrefixReusingGenerator<P>,
  encode: (text: string) => number[],
  now: () => number = () => performance.now(),
): Promise<number> {
  const prompt = encode(PROMPT);
  const start = now();
  let steps = 0;
  // At least one round, whatever the clock says; every round starts over, so each also runs a prefill.
  for (let round = 0; round === 0 || (steps < WARM_UP_DECODE_STEPS && now() - start < WARM_UP_BUDGET_MS); round++) {
    generator.reset();
    const outcome = await generator.generate(prompt, round % 2 === 0 ? FRESH_LINE : UNSTOPPED, () => false);
    const generated = outcome.status === 'done' ? outcome.ids.length : 0;
    if (generated === 0 && round > 0) break; // the model ends at once: nothing left to warm
    steps += generated;
  }
  generator.reset();
  return steps;
}
