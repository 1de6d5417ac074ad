/**
 * The engine's own KV cache buffers: what a graph's `past_key_values` input sees after any sequence
 * of appends and cuts must be exactly the keys/values of the tokens kept, in the first `length` slots
 * of [heads, capacity, dim], with the attention mask showing exactly those slots.
 */
import { strict as assert } from 'node:assert';
import { OwnedKvCache, type KvShape } from '../../../src/engine/ownedKvCache';

const shape: KvShape = { entries: 2, heads: 3, headDim: 2, maxLength: 200 };

/** A distinct value per (entry, head, position, dim), so any misplaced copy shows. */
const value = (e: number, h: number, pos: number, d: number) => e * 1e6 + h * 1e4 + pos * 10 + d;

function newEntries(from: number, count: number): Float32Array[] {
  return Array.from({ length: shape.entries }, (_, e) => {
    const a = new Float32Array(shape.heads * count * shape.headDim);
    for (let h = 0; h < shape.heads; h++) for (let t = 0; t < count; t++) for (let d = 0; d < shape.headDim; d++) a[(h * count + t) * shape.headDim + d] = value(e, h, from + t, d);
    return a;
  });
}

function expected(e: number, length: number): number[] {
  const out: number[] = [];
  for (let h = 0; h < shape.heads; h++) for (let t = 0; t < length; t++) for (let d = 0; d < shape.headDim; d++) out.push(value(e, h, t, d));
  return out;
}

function assertHolds(cache: OwnedKvCache, length: number): void {
  assert.equal(cache.length, length);
  const { heads, headDim } = shape;
  const capacity = cache.capacity;
  for (let e = 0; e < shape.entries; e++) {
    const entry = cache.entry(e);
    assert.equal(entry.length, heads * capacity * headDim, `entry ${e}: [heads, capacity, dim]`);
    const held: number[] = [];
    for (let h = 0; h < heads; h++) held.push(...entry.subarray(h * capacity * headDim, (h * capacity + length) * headDim));
    assert.deepEqual(held, expected(e, length), `entry ${e} at length ${length}`);
  }
  const mask = [...cache.attentionMask(2)].map(Number);
  assert.deepEqual(mask, [...Array(length).fill(1), ...Array(capacity - length).fill(0), 1, 1], `mask at length ${length}`);
}

describe('engine/ownedKvCache', () => {
  it('appends prompt chunks and single tokens, across buffer growth, into the first slots of [heads, capacity, dim]', () => {
    let cache = OwnedKvCache.empty(shape);
    assertHolds(cache, 0);
    let length = 0;
    for (const count of [5, 1, 1, 60, 1, 70, 1]) {
      cache = cache.append(newEntries(length, count), count);
      length += count;
      assertHolds(cache, length);
    }
  });

  it('grows rarely, with room for a completion after the tokens that made it grow', () => {
    let cache = OwnedKvCache.empty({ ...shape, maxLength: 1000 });
    const seen: number[] = [];
    for (let length = 1; length <= 600; length++) {
      cache = cache.append(newEntries(length - 1, 1), 1);
      assert.ok(cache.capacity >= length && cache.capacity <= 2 * length + 64, `length ${length}: room for ${cache.capacity}`);
      if (seen.at(-1) !== cache.capacity) seen.push(cache.capacity);
    }
    assert.deepEqual(seen, [65, 130, 260, 520, 1000]);
    assertHolds(cache, 600);
    // A prompt in two prefill chunks leaves room for 64 new tokens: decoding them grows nothing (no stall in the completion).
    let prompt = OwnedKvCache.empty({ ...shape, maxLength: 1000 }).append(newEntries(0, 128), 128);
    prompt = prompt.append(newEntries(128, 128), 128);
    const room = prompt.capacity;
    assert.ok(room >= 256 + 64, `room for ${room}`);
    for (let length = 257; length <= 320; length++) prompt = prompt.append(newEntries(length - 1, 1), 1);
    assert.equal(prompt.capacity, room);
    assertHolds(prompt, 320);
  });

  it('cuts to a prefix in place and keeps appending after it (typing after a deletion)', () => {
    let cache = OwnedKvCache.empty(shape).append(newEntries(0, 40), 40);
    const room = cache.capacity;
    cache = cache.truncate(25);
    assertHolds(cache, 25);
    assert.equal(cache.capacity, room, 'cutting keeps the buffers');
    cache = cache.append(newEntries(25, 3), 3);
    assertHolds(cache, 28);
    assert.equal(cache.truncate(28), cache, 'cutting to its own length is a no-op');
    assertHolds(cache.truncate(0), 0);
  });

  it('a cache that was extended or cut cannot be used again (the new one writes into its buffers)', () => {
    const first = OwnedKvCache.empty(shape).append(newEntries(0, 4), 4);
    const second = first.append(newEntries(4, 1), 1);
    assert.throws(() => first.entry(0), /extended or cut already/);
    assert.throws(() => first.append(newEntries(4, 1), 1), /extended or cut already/);
    assertHolds(second, 5);
    const cut = second.truncate(2);
    assert.throws(() => second.attentionMask(1), /extended or cut already/);
    assertHolds(cut, 2);
  });

  it('an empty cache feeds no past slots: the mask covers the new tokens only', () => {
    const cache = OwnedKvCache.empty(shape);
    assert.equal(cache.capacity, 0);
    assert.equal(cache.entry(0).length, 0);
    assert.deepEqual([...cache.attentionMask(3)], [1n, 1n, 1n]);
  });

  it('rejects wrong sizes and lengths past the context with a message', () => {
    const cache = OwnedKvCache.empty({ ...shape, maxLength: 8 });
    assert.throws(() => cache.append(newEntries(0, 9), 9), /9 tokens exceed the context of 8/);
    assert.throws(() => cache.append(newEntries(0, 2), 3), /has 12 values, 3 heads x 3 tokens x 2 need 18/);
    assert.throws(() => cache.append([new Float32Array(6)], 1), /1 new entries for a cache of 2/);
    assert.throws(() => cache.truncate(1), /cannot cut 0 tokens to 1/);
    assert.throws(() => OwnedKvCache.empty({ ...shape, heads: 0 }), /heads must be a positive integer/);
  });
});
