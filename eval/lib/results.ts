/** The results file of one `npm run eval:editor` run (eval/results/*.json): what EVAL.md is generated from. */
import type { KindSummary, OracleSummary, ScoredPosition } from './metrics';
import type { PositionKind } from './positions';
import type { FeatureName, FeatureState, Suite } from './variants';

export interface VariantResult {
  name: string;
  suite: Suite;
  /** Settings over the extension's defaults (keys below `localGpt.`), this variant's and the run's. */
  overrides: Record<string, unknown>;
  features: Record<FeatureName, FeatureState>;
  summaries: KindSummary[];
  /** Mean over kinds of the first-line numbers, and latency over all positions. */
  overall: { exact: number; editSim: number; empty: number; repetition: number | null; tabAcceptable: number | null; latencyP50: number; latencyP95: number };
  /** Time spent in this variant's completions (its latencies summed), s. */
  completionSeconds: number;
  positions: ScoredPosition[];
}

export interface EvalResults {
  /** How the run was started (for the tables' caption). */
  command: string;
  createdAt: string;
  commit: string;
  machine: { cpus: number; loadAverage: number[] };
  model: { name: string; dir: string; onnxFile: string; backend: string };
  data: { file: string; packages: string[]; files: number };
  sample: { seed: number; perKind: number; kinds: PositionKind[]; positions: number };
  oracle: OracleSummary[];
  variants: VariantResult[];
}
