/**
 * The settings variants the editor-path evaluation compares. Every feature is reached through the
 * extension's settings (package.json), so a variant is a list of setting values:
 *   - ablation: the model alone, each workspace/editor feature on its own, all but retrieval, all of them,
 *     and all of them without the text after the cursor;
 *   - decoding: the first line by greedy decoding (the default), sampling at temperature 0.2, and beam search
 *     (single-line requests).
 * A variant that turns on a feature whose setting package.json does not declare fails with a message
 * naming it (it would otherwise run the same thing as the model alone). Turning off an absent feature
 * is what the code does anyway, and the results say the feature was absent.
 */
import { SECTION, SETTING_SCHEMAS } from '../../src/config/settings';
import { assertKnownSettings, type SettingOverrides } from '../../src/config/overrides';

/** Features of issue #16 and the setting that switches each (one place to rename them). */
export const FEATURES = {
  tokenBoundary: { label: 'token boundary', setting: 'tokenHealing', on: true, off: false },
  cache: { label: 'n-gram cache', setting: 'workspace.cache', on: true, off: false },
  retrieval: { label: 'retrieval', setting: 'workspace.retrieval', on: true, off: false },
} as const satisfies Record<string, { label: string; setting: string; on: unknown; off: unknown }>;

export type FeatureName = keyof typeof FEATURES;
export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[];
export type FeatureState = 'on' | 'off' | 'absent';

export const SUITES = ['ablation', 'decoding'] as const;
export type Suite = (typeof SUITES)[number];

interface Variant {
  name: string;
  suite: Suite;
  /** Features switched on (the others off); absent: features left at their defaults. */
  features?: readonly FeatureName[];
  /** Other settings of this variant. */
  settings?: SettingOverrides;
}

/** Decoding is compared on the first line: every decoding variant asks for single-line completions. */
const FIRST_LINE: SettingOverrides = { multiline: 'never' };

export const VARIANTS: readonly Variant[] = [
  { name: 'model alone', suite: 'ablation', features: [] },
  { name: '+ token boundary', suite: 'ablation', features: ['tokenBoundary'] },
  { name: '+ cache', suite: 'ablation', features: ['cache'] },
  { name: '+ retrieval', suite: 'ablation', features: ['retrieval'] },
  // Everything but retrieval: with `all`, what retrieval adds to the other features.
  { name: 'all but retrieval', suite: 'ablation', features: ['tokenBoundary', 'cache'] },
  { name: 'all', suite: 'ablation', features: ['tokenBoundary', 'cache', 'retrieval'] },
  // What fill-in-the-middle buys a FIM model: the same without the text after the cursor in the prompt
  // (post-processing reads the next lines whatever this budget; a prefix-only model sees no difference).
  { name: 'all, no suffix', suite: 'ablation', features: ['tokenBoundary', 'cache', 'retrieval'], settings: { suffixTokens: 0 } },
  { name: 'greedy (default)', suite: 'decoding', settings: { ...FIRST_LINE } },
  { name: 'sampling (temperature 0.2)', suite: 'decoding', settings: { ...FIRST_LINE, temperature: 0.2 } },
  { name: 'beam 2', suite: 'decoding', settings: { ...FIRST_LINE, beamWidth: 2 } },
  { name: 'beam 4', suite: 'decoding', settings: { ...FIRST_LINE, beamWidth: 4 } },
];

/** The variant that decoding variants are judged against (latency budget). */
export const DEFAULT_DECODING = 'greedy (default)';

export interface ResolvedVariant {
  name: string;
  suite: Suite;
  overrides: SettingOverrides;
  features: Record<FeatureName, FeatureState>;
}

/** The setting values of a variant; throws naming the variant and the missing setting. */
export function resolveVariant(v: Variant): ResolvedVariant {
  const overrides: SettingOverrides = {};
  const features = {} as Record<FeatureName, FeatureState>;
  for (const name of FEATURE_NAMES) {
    const f = FEATURES[name];
    const declared = f.setting in SETTING_SCHEMAS;
    if (v.features === undefined) {
      features[name] = declared ? (SETTING_SCHEMAS[f.setting].default === f.on ? 'on' : 'off') : 'absent';
      continue;
    }
    const on = v.features.includes(name);
    if (!declared) {
      if (on) {
        throw new Error(
          `variant "${v.name}" turns on the ${f.label} (${SECTION}.${f.setting}), but package.json declares no such setting: ` +
            `the feature is not in this build (or its setting has another name: eval/lib/variants.ts FEATURES)`,
        );
      }
      features[name] = 'absent';
      continue;
    }
    overrides[f.setting] = on ? f.on : f.off;
    features[name] = on ? 'on' : 'off';
  }
  if (v.settings) {
    assertKnownSettings(v.settings, `variant "${v.name}"`);
    Object.assign(overrides, v.settings);
  }
  return { name: v.name, suite: v.suite, overrides, features };
}

/** Variants picked by `--suite` and `--variants` (names, comma-separated), in table order. */
export function selectVariants(suite: Suite | 'all', names?: readonly string[]): Variant[] {
  if (names && names.length > 0) {
    const unknown = names.filter((n) => !VARIANTS.some((v) => v.name === n));
    if (unknown.length > 0) throw new Error(`unknown variant ${unknown.map((n) => JSON.stringify(n)).join(', ')} (variants: ${VARIANTS.map((v) => JSON.stringify(v.name)).join(', ')})`);
    return VARIANTS.filter((v) => names.includes(v.name));
  }
  return VARIANTS.filter((v) => suite === 'all' || v.suite === suite);
}
