/** The shape of bench/results/*.json: what each section measured, as plain JSON. */
import type { Dtype, Limits, ModelShape } from './roofline';
import type { RateSummary, Summary } from './stats';
import type { OptionsVariantResult } from '../cells/options';
export type { OptionsVariantResult };

export type BackendName = 'native' | 'wasm';
export type ModelKey = 'embedded' | 'gpt2-small';
export type SectionName = 'roofline' | 'throughput' | 'options' | 'latency' | 'package' | 'workspace';
export const SECTIONS: readonly SectionName[] = ['roofline', 'throughput', 'options', 'latency', 'package', 'workspace'];

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  versions: Record<string, string>;
  /** 1, 5, 15 minute load averages. */
  loadAvgStart: number[];
  loadAvgEnd: number[];
  /** The busiest other processes when the run started (the concurrent load). */
  busyProcesses: { command: string; cpuPercent: number }[];
}

export interface BenchModel {
  key: ModelKey;
  dir: string;
  shape: ModelShape;
  /** Where the weights come from, in words (trained embedded model, or random stand-in and why). */
  source: string;
  params: number;
}

/** One timed operation repeated: `work` units (flops or bytes) per run. */
export interface RateMeasure {
  label: string;
  threads: number;
  work: number;
  unit: 'flop' | 'byte';
  ms: Summary;
  /** Units per second: median, best and worst run. */
  rate: RateSummary;
  /** Process CPU time per run and the rate on it: for one thread, the speed while it holds a core. */
  cpuMs?: Summary;
  cpuRate?: RateSummary;
}

export interface RooflineResults {
  native: { available: boolean; note?: string; measures: RateMeasure[] };
  js: RateMeasure[];
  /** Derived: the limits rooflines are computed against. */
  limits: Limits;
}

export interface ThroughputInput {
  backend: BackendName;
  threads: number;
  wasmPaths: string;
  models: { key: ModelKey; dir: string; dtype: Dtype; shape: ModelShape }[];
  prefillLengths: number[];
  decodeTokens: number;
  repeats: number;
  /** Stop repeating a measurement after this much time (at least one timed run is kept), ms. */
  budgetMs: number;
  naive: { promptTokens: number; newTokens: number; repeats: number; models: ModelKey[] } | null;
  promptText: string;
}

export interface PrefillResult {
  tokens: number;
  /** Requested length before clamping to the context window. */
  requested: number;
  ms: Summary;
  tokensPerS: RateSummary;
  /** CPU time of the process (all threads, user + system) for the prefill, median, ms. */
  cpuMs: number;
}

export interface DecodeResult {
  /** Tokens in the KV cache when decoding started. */
  context: number;
  /** Forward steps timed per run. */
  steps: number;
  msPerToken: Summary;
  tokensPerS: RateSummary;
  /** Of a decode step: time inside ONNX Runtime's session.run, the rest of transformers.js forward, ms (medians). */
  ortRunMsPerToken: number;
  forwardMsPerToken: number;
  /** CPU time of the process per decode step (all threads, user + system) and its system part, medians, ms. */
  cpuMsPerToken: number;
  sysMsPerToken: number;
}

export interface ThroughputCell {
  model: ModelKey;
  dtype: Dtype;
  backend: BackendName;
  threads: number;
  onnxFile: string;
  loadMs: number;
  prefill: PrefillResult[];
  decode: DecodeResult[];
  /** Host-side costs per request or token, ms. */
  overheads?: { encodePromptMs: Summary; promptChars: number; samplePerTokenMs: Summary; detokenizePerTokenMs: Summary };
  naive: NaiveCompare | null;
  error?: string;
}

export interface NaiveCompare {
  promptTokens: number;
  newTokens: number;
  /** transformers.js text-generation pipeline, whole prompt per request, ms. */
  naiveMs: Summary;
  /** Our engine, same prompt, empty cache (cold), ms. */
  engineColdMs: Summary;
  /** Our engine, same prompt plus one character after the previous request (prefix reuse), ms. */
  engineTypedMs: Summary;
  loadMs: number;
}

export interface ThroughputGroup {
  backend: BackendName;
  threads: number;
  /** The runtime's own MatMul throughput (one-node ONNX graph), fp32 and int8 (DynamicQuantizeLinear + MatMulInteger). */
  ortMatMul: RateMeasure[];
  cells: ThroughputCell[];
  error?: string;
  wallMs: number;
}

export interface LlamaCppInput {
  threads: number;
  models: { key: ModelKey; dir: string; dtype: Dtype; shape: ModelShape }[];
  prefillLengths: number[];
  decodeTokens: number;
  repeats: number;
  budgetMs: number;
  promptText: string;
}

/** One model and dtype run by llama.cpp (node-llama-cpp) on the GGUF export of the same weights. */
export interface LlamaCppCell {
  model: ModelKey;
  /** Our dtype it is the peer of: int8 -> q8_0, fp32 -> f32. */
  dtype: Dtype;
  ggufType: 'q8_0' | 'f32';
  threads: number;
  ggufFile: string;
  ggufBytes: number;
  /** Model load + context creation, ms. */
  loadMs: number;
  prefill: PrefillResult[];
  decode: { context: number; steps: number; msPerToken: Summary; tokensPerS: RateSummary; cpuMsPerToken: number }[];
  error?: string;
}

export interface LlamaCppGroup {
  threads: number;
  /** llama.cpp release of the binary and how it was obtained (prebuilt). */
  version: string;
  buildType: string;
  cells: LlamaCppCell[];
  error?: string;
  wallMs: number;
}

export interface LatencyInput {
  backend: BackendName;
  threads: number;
  wasmPaths: string;
  modelDir: string;
  quantized: boolean;
  repeats: number;
  promptText: string;
  newTokens: number;
  naive: boolean;
  workerFile: string;
}

/** Latency scenario names (bench/cells/latency.ts), one home for the goals and the tables. */
export const SCENARIOS = {
  cold: 'cold',
  /** The character typed is the first one the previous completion suggested (served by replaying stored logits). */
  typedSuggested: 'one more character, typed = suggested',
  /** The character typed is not the suggested one (the model runs: prefix reuse + decode). */
  typedDiffers: 'one more character, typed differs',
  newLine: 'new line',
  cached: 'prompt cached',
  /** The editor's request at a fresh line after a typed function signature (bench/cells/editorRequest.ts). */
  editorFreshLine: 'editor: signature + Enter, default settings',
} as const;

export interface LagSummary {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export interface ScenarioResult {
  name: string;
  ms: Summary;
  promptTokens: number;
  reusedTokens: number;
  generatedTokens: number;
}

export interface LatencyCell {
  backend: BackendName;
  threads: number;
  dtype: Dtype;
  model: ModelKey;
  /** Worker start + model load + warm-up, as the first request sees it, ms. */
  loadMs: number;
  /** The worker's own `ready.loadMs` (load + warm-up), ms. */
  workerLoadMs: number | null;
  rssMiB: { before: number; loaded: number; peak: number };
  eventLoopLagMs: { idle: LagSummary; busy: LagSummary };
  scenarios: ScenarioResult[];
  /** The same scenarios with the copy model on (the file as the cached document being completed); absent in runs before it was measured. */
  copyModel?: ScenarioResult[];
  /** What the editor sends at a fresh line (bench/cells/editorRequest.ts); absent in runs before it was measured. */
  editor?: ScenarioResult[];
  naive: ScenarioResult[];
  error?: string;
  wallMs: number;
}

export interface PackageResults {
  vsix: { file: string; bytes: number } | { note: string };
  activation: { ms: number; source: string } | { note: string };
}

export interface Goal {
  id: string;
  title: string;
  target: string;
  /** The measured ratio the goal is judged on (null: not measured in this run). */
  value: number | null;
  display: string;
  /** ERROR: the measurement contradicts its own model (a share of a ceiling above 100%): a bug, not a result. */
  status: 'PASS' | 'FAIL' | 'NOT MEASURED' | 'ERROR';
  /** Each configuration's figure, and why a FAIL fails. */
  details: string[];
}

export interface BenchResults {
  schema: 1;
  name: string;
  startedAt: string;
  durationS: number;
  command: string;
  options: Record<string, unknown>;
  machine: MachineInfo;
  models: BenchModel[];
  roofline?: RooflineResults;
  throughput?: ThroughputGroup[];
  /** llama.cpp on the same weights and prompts (throughput section), per thread count. */
  llamaCpp?: LlamaCppGroup[];
  sessionOptions?: { results: OptionsVariantResult[]; error?: string };
  latency?: LatencyCell[];
  package?: PackageResults;
  workspace?: WorkspaceResults;
  goals: Goal[];
  notes: string[];
}

/** `workspace`: indexing a synthetic workspace for retrieval on the main thread (bench/sections/workspace.ts). */
export interface WorkspaceResults {
  files: number;
  textMiB: number;
  indexed: number;
  /** Indexing stopped at the memory cap. */
  full: boolean;
  /** Times the indexer yielded to the event loop. */
  slices: number;
  indexMs: number;
  /** Lag while indexing ran, and with the thread idle for as long (the machine's own noise). */
  eventLoopLagMs: { idle: LagSummary; indexing: LagSummary };
  memory: { accountedMiB: number; capMiB: number; heapGrowthMiB: number };
  /** One retrieval query over the whole index. */
  queryMs: Summary;
  hitsPerQuery: number;
}
