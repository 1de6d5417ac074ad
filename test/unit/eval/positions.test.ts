import { strict as assert } from 'node:assert';
import { candidatesIn, materialize, samplePositions, type ValFile } from '../../../eval/lib/positions';

const FILE: ValFile = {
  package: 'pkg',
  path: 'src/a.ts',
  text: [
    '// header',
    'export function area(shape: Shape): number {',
    '  const width = shape.size;',
    '  return width * 2;',
    '}',
    '',
  ].join('\n'),
};

describe('eval/lib/positions: editor positions cut out of held-out files', () => {
  const all = candidatesIn(FILE.text, 0).map((c) => materialize(c, FILE));
  const of = (kind: string) => all.filter((p) => p.kind === kind);

  it('freshLine: the line holds only its indentation; the lines after it stay', () => {
    const p = of('freshLine').find((x) => x.line === 3)!;
    assert.equal(p.text, FILE.text.replace('  const width = shape.size;', '  '));
    assert.deepEqual([p.column, p.target, p.targetLine], [3, 'const width = shape.size;', 'const width = shape.size;']);
    assert.ok(!of('freshLine').some((x) => x.line === 5), 'a lone } is not a fresh-line position');
  });

  it('afterFirstWord: the line up to its first word, its rest removed', () => {
    const p = of('afterFirstWord').find((x) => x.line === 4)!;
    assert.equal(p.text.split('\n')[3], '  return');
    assert.deepEqual([p.column, p.target], [9, ' width * 2;']);
    assert.ok(!of('afterFirstWord').some((x) => x.line === 1), 'line 1 (and comment lines) are never mid-line positions');
  });

  it('midIdentifier: cut in the middle of each identifier of 4+ characters', () => {
    const targets = of('midIdentifier').filter((x) => x.line === 3).map((x) => x.target);
    assert.deepEqual(targets, ['nst width = shape.size;', 'dth = shape.size;', 'ape.size;', 'ze;']);
  });

  it('afterDot: right after a member access dot', () => {
    const p = of('afterDot');
    assert.deepEqual(p.map((x) => [x.line, x.column, x.target, x.text.split('\n')[2]]), [[3, 23, 'size;', '  const width = shape.']]);
  });

  it('blockBody: the body removed, the cursor at its indentation, the closing line kept; the target is the whole body', () => {
    const [p] = of('blockBody');
    assert.equal(p.text, ['// header', 'export function area(shape: Shape): number {', '  ', '}', ''].join('\n'));
    assert.deepEqual([p.line, p.column], [3, 3]);
    assert.equal(p.target, 'const width = shape.size;\n  return width * 2;');
  });

  it('samplePositions is a function of the files, the seed and the counts, spread over packages', () => {
    const files: ValFile[] = [FILE, { ...FILE, package: 'other', path: 'b.ts' }];
    const a = samplePositions(files, 3, 7);
    assert.deepEqual(samplePositions(files, 3, 7), a);
    for (const kind of ['freshLine', 'afterFirstWord', 'midIdentifier']) {
      const picked = a.filter((p) => p.kind === kind);
      assert.equal(picked.length, 3, kind);
      assert.deepEqual(new Set(picked.map((p) => p.package)), new Set(['pkg', 'other']), `${kind} draws from both packages`);
    }
    assert.equal(a.filter((p) => p.kind === 'afterDot').length, 2, 'fewer candidates than asked: all of them');
    assert.notDeepEqual(samplePositions(files, 3, 8).map((p) => [p.path, p.line, p.column]), a.map((p) => [p.path, p.line, p.column]));
  });
});
