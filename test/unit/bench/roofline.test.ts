import { strict as assert } from 'node:assert';
import {
  blockMatmulParams,
  decodeBytesPerToken,
  decodeRooflineTokensPerS,
  fractionOf,
  limitFor,
  prefillFlops,
  prefillRooflineTokensPerS,
  type ModelShape,
} from '../../../bench/lib/roofline';

const GPT2_SMALL: ModelShape = { vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 };
const TINY: ModelShape = { vocab_size: 10, n_positions: 8, n_embd: 4, n_layer: 1, n_head: 2 };

describe('bench roofline math', () => {
  it('counts the block linears of GPT-2 small (85M of its 124M parameters)', () => {
    assert.equal(blockMatmulParams(GPT2_SMALL), 12 * 12 * 768 * 768);
    assert.equal(Math.round(blockMatmulParams(GPT2_SMALL) / 1e6), 85);
  });

  it('reads every weight once per decoded token: ~0.5 GB fp32 and ~1/4 of that int8 for GPT-2 small', () => {
    const fp32 = decodeBytesPerToken(GPT2_SMALL, 'fp32', 0);
    const int8 = decodeBytesPerToken(GPT2_SMALL, 'int8', 0);
    // block linears + LM head (wte), 4 bytes each, plus biases/LayerNorm and one wpe row
    assert.ok(Math.abs(fp32.weights / 4 - (85e6 + 38.6e6)) < 0.5e6, `fp32 weights ${fp32.weights}`);
    assert.ok(int8.weights / fp32.weights > 0.25 && int8.weights / fp32.weights < 0.26, `int8/fp32 = ${int8.weights / fp32.weights}`);
    assert.equal(fp32.kv, 0);
  });

  it('adds the keys and values of the context: 2 x layers x context x width floats', () => {
    const b = decodeBytesPerToken(TINY, 'fp32', 5);
    assert.equal(b.kv, 2 * 1 * 5 * 4 * 4);
    assert.equal(b.total, b.weights + b.kv);
  });

  it('counts prefill work: 2 flops per block weight per token, the LM head once, causal attention', () => {
    // T = 2 tokens, C = 4, L = 1: blocks 2*2*192, head 2*40, attention 4*4*(0 + 3)
    assert.equal(prefillFlops(TINY, 2), 2 * 2 * 192 + 2 * 40 + 4 * 4 * 3);
    // with 3 cached tokens the 2 new ones see 4 and 5 keys
    assert.equal(prefillFlops(TINY, 2, 3), 2 * 2 * 192 + 2 * 40 + 4 * 4 * (6 + 3));
  });

  it('turns limits into best tokens/s', () => {
    assert.equal(decodeRooflineTokensPerS(1e8, 2e10), 200);
    const flops = prefillFlops(GPT2_SMALL, 256);
    assert.ok(Math.abs(prefillRooflineTokensPerS(GPT2_SMALL, 256, flops) - 256) < 1e-9);
  });

  it('applies to a thread count the best limit measured with at most that many threads', () => {
    const limits = [
      { threads: 1, value: 20, source: 'a' },
      { threads: 2, value: 15, source: 'b' },
      { threads: 2, value: 30, source: 'c' },
    ];
    assert.equal(limitFor(limits, 1)?.source, 'a');
    assert.equal(limitFor(limits, 2)?.source, 'c');
    assert.equal(limitFor(limits.slice(1, 2), 2)?.value, 15);
    assert.equal(limitFor(limits, 0), null);
  });

  it('has no fraction of an unknown limit', () => {
    assert.equal(fractionOf(5, 10), 0.5);
    assert.equal(fractionOf(5, null), null);
    assert.equal(fractionOf(5, 0), null);
  });
});
