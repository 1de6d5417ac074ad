import { strict as assert } from 'node:assert';
import { copyOracle, detectTabSize, lineShape, repeatsItself, scorePosition, summarizeKind } from '../../../eval/lib/metrics';
import type { EvalPosition, ValFile } from '../../../eval/lib/positions';

const position = (over: Partial<EvalPosition>): EvalPosition => ({
  kind: 'freshLine', package: 'p', path: 'a.ts', text: 'function f() {\n  \n  g();\n}\n', line: 2, column: 3, target: 'return 1;', targetLine: 'return 1;', ...over,
});

describe('eval/lib/metrics: scores of the editor-path evaluation', () => {
  it('lineShape abstracts identifiers, numbers and strings', () => {
    assert.equal(lineShape('  cx: number;'), 'a: a;');
    assert.equal(lineShape("x.y = f('s', 12);"), 'a.a = a("", 0);');
  });

  const repeats: [string, string, string, boolean][] = [
    ['cx: number;\n  cy: number;', '  ', 'class P {', true],
    ['const a = 1;', '  ', 'const a = 1;', true], // the line just above, again
    ['return a;\n}', '  ', 'const a = 1;', false],
    ['}\n}', '  ', '', false], // closers repeat in good code
    ['a = 1;\n  b = f(x);', '  ', '', false],
  ];
  for (const [completion, prefix, above, expected] of repeats) {
    it(`repeatsItself(${JSON.stringify(completion)}) = ${expected}`, () => assert.equal(repeatsItself(completion, prefix, above), expected));
  }

  it('detectTabSize takes the smallest space indentation', () => {
    assert.equal(detectTabSize('a\n    b\n  c\n'), 2);
    assert.equal(detectTabSize('a\n\tb\n'), 4);
  });

  it('scorePosition: first-line exact match and similarity, Tab acceptance at the indentation', () => {
    const hit = scorePosition(position({}), 'return 1;\n}', 12);
    assert.deepEqual([hit.exact, hit.editSim, hit.tabAccepts, hit.repeats], [true, 1, true, false]);
    const indented = scorePosition(position({}), '  return 1;', 12);
    assert.equal(indented.exact, false);
    assert.equal(indented.tabAccepts, false, 'two spaces in a two-space file: Tab indents instead');
    const none = scorePosition(position({}), null, 3, 'the model generated no text (stop: eos)');
    assert.deepEqual([none.exact, none.editSim, none.tabAccepts, none.reason], [false, 0, false, 'the model generated no text (stop: eos)']);
  });

  it('summarizeKind: rates over all positions, repetition and Tab over the suggestions shown', () => {
    const scored = [
      scorePosition(position({}), 'return 1;', 10),
      scorePosition(position({}), 'x = 1;\n  x = 2;', 30),
      scorePosition(position({}), null, 20, 'no text'),
      scorePosition(position({}), '  return 1;', 40),
    ];
    const s = summarizeKind('freshLine', scored);
    assert.deepEqual(
      { exact: s.exact, empty: s.empty, repetition: s.repetition, tab: s.tabAcceptable, p50: s.latencyP50, p95: s.latencyP95, full: s.fullEditSim },
      { exact: 0.25, empty: 0.25, repetition: 1 / 3, tab: 2 / 3, p50: 25, p95: 40, full: null },
    );
    assert.throws(() => summarizeKind('afterDot', scored), /no positions of kind afterDot/);
  });

  it('copyOracle: the target line earlier in the file, or in another file of the package', () => {
    const files: ValFile[] = [
      { package: 'p', path: 'a.ts', text: 'x();\nreturn 1;\n' },
      { package: 'p', path: 'b.ts', text: 'y();\n' },
      { package: 'q', path: 'c.ts', text: 'y();\n' },
    ];
    const ps = [
      position({ text: 'return 1;\n\n', line: 2, column: 1, targetLine: 'return 1;' }), // earlier in the file
      position({ text: 'x();\n', line: 2, column: 1, targetLine: 'y();' }), // in b.ts
      position({ path: 'b.ts', text: '\n', line: 1, column: 1, targetLine: 'y();' }), // only in its own file and another package
    ];
    assert.deepEqual(copyOracle('freshLine', ps, files), { kind: 'freshLine', positions: 3, earlierInFile: 1 / 3, otherWorkspaceFile: 1 / 3 });
  });
});
