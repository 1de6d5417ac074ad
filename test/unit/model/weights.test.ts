import { strict as assert } from 'node:assert';
import { GptConfig, parameterCount, configFromJson } from '../../../src/model/config';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeSafetensors, decodeSafetensors, tensorLayout, GptWeights, checkWeightsFile } from '../../../src/model/weights';

const tiny: GptConfig = { vocab_size: 11, n_positions: 7, n_embd: 8, n_layer: 2, n_head: 2, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };

function filled(config: GptConfig): GptWeights {
  const w = { layers: Array.from({ length: config.n_layer }, () => ({})) } as unknown as GptWeights;
  let k = 0;
  for (const t of tensorLayout(config)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    t.set(w, Float32Array.from({ length: n }, () => (k++ % 97) / 7));
  }
  return w;
}

describe('model weights (safetensors)', () => {
  it('round-trips every tensor bit for bit', () => {
    const w = filled(tiny);
    const back = decodeSafetensors(tiny, encodeSafetensors(tiny, w));
    for (const t of tensorLayout(tiny)) assert.deepEqual(t.get(back), t.get(w), t.name);
  });

  it('layout holds exactly parameterCount values', () => {
    const total = tensorLayout(tiny).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(total, parameterCount(tiny));
  });

  it('names the tensor when config.json disagrees with the weights', () => {
    const bytes = encodeSafetensors(tiny, filled(tiny));
    assert.throws(() => decodeSafetensors({ ...tiny, n_embd: 6, n_head: 2 }, bytes, 'x/model.safetensors'), /x\/model\.safetensors: tensor "wte\.weight" has shape \[11, 8\], config\.json implies \[11, 6\]/);
    assert.throws(() => decodeSafetensors({ ...tiny, n_layer: 3 }, bytes), /tensor "h\.2\.ln_1\.weight" is missing/);
  });

  it('reports a truncated file instead of reading garbage', () => {
    const bytes = encodeSafetensors(tiny, filled(tiny));
    assert.throws(() => decodeSafetensors(tiny, bytes.subarray(0, bytes.length - 10)), /outside the file or the wrong size/);
    assert.throws(() => decodeSafetensors(tiny, bytes.subarray(0, 5)), /too short/);
  });

  it('rejects configs that cannot be a GPT-2', () => {
    assert.throws(() => configFromJson({ model_type: 'gpt2', vocab_size: 10, n_positions: 8, n_embd: 10, n_layer: 1, n_head: 3 }), /divisible/);
    assert.throws(() => configFromJson({ model_type: 'llama' }), /expected "gpt2"/);
    assert.throws(() => configFromJson({ model_type: 'gpt2', vocab_size: -1, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 }), /vocab_size/);
  });

  it('checkWeightsFile checks a file against config.json from its header alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weights-'));
    try {
      const file = path.join(dir, 'model.safetensors');
      const bytes = encodeSafetensors(tiny, filled(tiny));
      fs.writeFileSync(file, bytes);
      checkWeightsFile(file, tiny);
      assert.throws(() => checkWeightsFile(file, { ...tiny, vocab_size: 12 }), { message: `${file}: tensor "wte.weight" has shape [11, 8], config.json implies [12, 8]` });
      fs.writeFileSync(file, bytes.subarray(0, bytes.length - 4));
      assert.throws(() => checkWeightsFile(file, tiny), /model\.safetensors: tensor "ln_f\.bias" data .* outside the file or the wrong size \(truncated\?\)/);
      fs.writeFileSync(file, '{"not": "safetensors"}');
      assert.throws(() => checkWeightsFile(file, tiny), /model\.safetensors: header length \d+ does not fit in a 22-byte file/);
      assert.throws(() => checkWeightsFile(path.join(dir, 'nope.safetensors'), tiny), /nope\.safetensors: cannot read weights \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
