import { strict as assert } from 'node:assert';
import type { PackageEntry, Split } from '../../../training/corpus/packageList';
import { assignSplits } from '../../../training/corpus/splitPackages';

function entries(count: number, split: (i: number) => Split = () => 'train'): PackageEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    spec: `pkg${i}@1.0.0`,
    name: `pkg${i}`,
    version: '1.0.0',
    license: 'MIT',
    listedSplit: split(i),
    integrity: 'sha512-x',
  }));
}

const valNames = (splits: Map<string, Split>): string[] => [...splits].filter(([, s]) => s === 'val').map(([n]) => n).sort();

describe('train/val split by package', () => {
  it('holds out ~10% of whole packages, the same ones whatever the list order', () => {
    const list = entries(200);
    const splits = assignSplits(list);
    assert.equal(splits.size, 200);
    const val = valNames(splits).length;
    assert.ok(val >= 10 && val <= 30, `${val} of 200 held out`);
    assert.deepEqual(valNames(assignSplits([...list].reverse())), valNames(splits));
  });

  it('keeps a package in val when others are added to the list (hash choice, not position)', () => {
    const small = valNames(assignSplits(entries(30)));
    const large = valNames(assignSplits(entries(60)));
    assert.ok(small.every((name) => large.includes(name)), `${small} not within ${large}`);
  });

  it('holds out at least one package', () => {
    for (let n = 1; n <= 5; n++) assert.ok(valNames(assignSplits(entries(n))).length >= 1, `${n} packages`);
  });

  it('honours val marks in the list as written', () => {
    const splits = assignSplits(entries(10, (i) => (i === 4 ? 'val' : 'train')));
    assert.deepEqual(valNames(splits), ['pkg4']);
  });

  it('uses an explicit val list over everything else, and rejects unknown names', () => {
    assert.deepEqual(valNames(assignSplits(entries(10, () => 'val'), { valPackages: ['pkg1', 'pkg2'] })), ['pkg1', 'pkg2']);
    assert.throws(() => assignSplits(entries(3), { valPackages: ['nope'] }), /validation package "nope" is not in the package list/);
  });
});
