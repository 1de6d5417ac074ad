import { strict as assert } from 'node:assert';
import { CompletionCache } from '../../../src/completion/cache';

const at = (prefix: string, lineSuffix = '', document = 'file:///a.ts') => ({ document, prefix, lineSuffix });

describe('completion/cache', () => {
  it('returns the completion for the same context only', () => {
    const cache = new CompletionCache();
    cache.set(at('const x = '), 'compute();');
    assert.equal(cache.get(at('const x = ')), 'compute();');
    assert.equal(cache.get(at('const x = ', ')')), undefined, 'other rest of line');
    assert.equal(cache.get(at('const x = ', '', 'file:///b.ts')), undefined, 'other document');
    assert.equal(cache.get(at('const y = ')), undefined);
  });

  const typing: [string, string, string | undefined][] = [
    ['one character typed through', 'const x = c', 'ompute();'],
    ['several characters typed through', 'const x = comp', 'ute();'],
    ['typed something else', 'const x = d', undefined],
    ['typed the whole suggestion: nothing left to show', 'const x = compute();', undefined],
  ];
  for (const [name, prefix, expected] of typing) {
    it(`typing through: ${name}`, () => {
      const cache = new CompletionCache();
      cache.set(at('const x = '), 'compute();');
      assert.equal(cache.get(at(prefix)), expected);
    });
  }

  it('deleting back returns the earlier entry', () => {
    const cache = new CompletionCache();
    cache.set(at('const x = '), 'compute();');
    cache.set(at('const x = q'), 'uery();');
    assert.equal(cache.get(at('const x = ')), 'compute();');
  });

  it('keys on the last 1000 characters of the prefix', () => {
    const cache = new CompletionCache();
    cache.set(at('A'.repeat(5000) + 'tail'), 'X');
    assert.equal(cache.get(at('B'.repeat(5000) + 'A'.repeat(996) + 'tail')), 'X');
  });

  it('evicts the least recently used entries', () => {
    const cache = new CompletionCache(2);
    cache.set(at('a'), '1');
    cache.set(at('b'), '2');
    cache.get(at('a'));
    cache.set(at('c'), '3');
    assert.equal(cache.size, 2);
    assert.equal(cache.get(at('b')), undefined);
    assert.equal(cache.get(at('a')), '1');
  });
});
