import { strict as assert } from 'node:assert';
import { SETTING_SCHEMAS } from '../../../src/config/settings';
import { FEATURES, VARIANTS, resolveVariant, selectVariants } from '../../../eval/lib/variants';

describe('eval/lib/variants: settings variants of the evaluation', () => {
  it('every variant is a list of settings; none repeats another', () => {
    const names = VARIANTS.map((v) => v.name);
    assert.equal(new Set(names).size, names.length);
  });

  it('a variant that turns on a feature without a declared setting fails, naming both', () => {
    for (const [name, f] of Object.entries(FEATURES)) {
      const v = { name: `+ ${name}`, suite: 'ablation' as const, features: [name as keyof typeof FEATURES] };
      if (f.setting in SETTING_SCHEMAS) assert.equal(resolveVariant(v).overrides[f.setting], f.on);
      else assert.throws(() => resolveVariant(v), new RegExp(`variant "\\+ ${name}" turns on the ${f.label} \\(localGpt\\.${f.setting.replace('.', '\\.')}\\), but package\\.json declares no such setting`));
    }
  });

  it('the model alone turns every declared feature off and reports the others absent', () => {
    const r = resolveVariant(VARIANTS.find((v) => v.name === 'model alone')!);
    for (const [name, f] of Object.entries(FEATURES)) {
      const declared = f.setting in SETTING_SCHEMAS;
      assert.equal(r.features[name as keyof typeof FEATURES], declared ? 'off' : 'absent');
      assert.equal(r.overrides[f.setting], declared ? f.off : undefined);
    }
  });

  it('"all, no suffix" is "all" with no suffix token budget', () => {
    const all = resolveVariant(VARIANTS.find((v) => v.name === 'all')!);
    const noSuffix = resolveVariant(VARIANTS.find((v) => v.name === 'all, no suffix')!);
    assert.deepEqual(noSuffix.features, all.features);
    assert.deepEqual(noSuffix.overrides, { ...all.overrides, suffixTokens: 0 });
  });

  it('a variant with an unknown plain setting fails', () => {
    assert.throws(() => resolveVariant({ name: 'x', suite: 'decoding', settings: { beamWidthz: 2 } }), /variant "x": localGpt\.beamWidthz is not a Local GPT setting/);
  });

  it('selectVariants by suite or by name, unknown names refused', () => {
    assert.deepEqual(selectVariants('decoding').map((v) => v.name), ['greedy (default)', 'sampling (temperature 0.2)', 'beam 2', 'beam 4']);
    assert.deepEqual(selectVariants('all', ['beam 2', 'model alone']).map((v) => v.name), ['model alone', 'beam 2']);
    assert.throws(() => selectVariants('all', ['beam 9']), /unknown variant "beam 9"/);
  });
});
