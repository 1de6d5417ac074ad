import { strict as assert } from 'node:assert';
import { arrayOf, isOneOf, isRecord, nonNegativeInteger, nullable, num, object, oneOf, optional, str, tagged } from '../../../src/validation/checks';

describe('validation/checks', () => {
  it('isRecord accepts plain objects only', () => {
    assert.deepEqual([{}, { a: 1 }, [], null, 'x', 1, undefined].map(isRecord), [true, true, false, false, false, false, false]);
  });

  it('isOneOf and oneOf accept exactly the listed values', () => {
    const KINDS = ['a', 'b'] as const;
    assert.deepEqual(['a', 'b', 'c', 1, null].map((v) => isOneOf(KINDS, v)), [true, true, false, false, false]);
    assert.equal(oneOf(KINDS)('b', 'x'), null);
    assert.equal(oneOf(KINDS)('c', 'x.kind'), 'x.kind must be one of a, b');
  });

  it('numbers: finite, integer and range, each with its own message', () => {
    assert.equal(num()(Number.NaN, 'n'), 'n must be a finite number');
    assert.equal(num({ int: true })(1.5, 'n'), 'n must be an integer');
    assert.equal(num({ min: 1 })(0, 'n'), 'n must be >= 1');
    assert.equal(num({ max: 1 })(2, 'n'), 'n must be <= 1');
    assert.equal(num({ int: true, min: 0, max: 3 })(3, 'n'), null);
    assert.equal(nonNegativeInteger(-1, 'i'), 'i must be a non-negative integer');
    assert.equal(nonNegativeInteger(0, 'i'), null);
  });

  it('names the first bad path inside nested objects and arrays', () => {
    const check = object({ name: str, tags: arrayOf(str), size: optional(num()), parent: nullable(str) });
    assert.equal(check({ name: 'x', tags: ['a'], parent: null }, 'v'), null);
    assert.equal(check({ name: 'x', tags: ['a', 2], parent: null }, 'v'), 'v.tags[1] must be a string');
    assert.equal(check({ name: 'x', tags: [], size: 'big', parent: null }, 'v'), 'v.size must be a finite number');
    assert.equal(check([], 'v'), 'v must be an object');
  });

  it('tagged picks the shape by its tag field', () => {
    const check = tagged('kind', { local: { dir: str }, hub: { id: str } });
    assert.equal(check({ kind: 'hub', id: 'a/b' }, 's'), null);
    assert.equal(check({ kind: 'hub', dir: '/x' }, 's'), 's.id must be a string');
    assert.equal(check({ kind: 'ftp' }, 's'), 's.kind must be one of local, hub');
    // Names every object inherits are not tags.
    for (const inherited of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.equal(check({ kind: inherited }, 's'), 's.kind must be one of local, hub', inherited);
    }
  });
});
