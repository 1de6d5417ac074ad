import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatherContext } from '../../../src/completion/context';
import { cutWithinLines, decideMultiline, matchLineEndings, postContextOf, postProcess, STAGES, type LineEnding, type MultilineSetting } from '../../../src/completion/postprocess';
import { lineShape } from '../../../src/completion/postprocess/lineShape';
import { linesAbove } from '../../../src/completion/postprocess/stopAtRepetition';
import { repeatedPhraseAt } from '../../../src/completion/postprocess/stopAtRepeatedPhrase';
import { repeatsItself } from '../../../eval/lib/metrics';
import { withCursor } from './cursor';

interface GoldenCase {
  name: string;
  document: string;
  multiline?: MultilineSetting;
  raw: string;
  expected: string | null;
}

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/postprocess.json'), 'utf8')) as { cases: GoldenCase[] };
const budget = { prefixTokens: 512, suffixTokens: 64, charsPerToken: 3 };

function run(c: Pick<GoldenCase, 'document' | 'multiline' | 'raw'>): string | null {
  const context = gatherContext(withCursor(c.document), budget);
  return postProcess(c.raw, postContextOf(context, decideMultiline(context, c.multiline ?? 'auto')));
}

describe('completion/postprocess (golden cases)', () => {
  for (const c of golden.cases) {
    it(c.name, () => assert.equal(run(c), c.expected));
  }
});

describe('completion/postprocess: nothing shown repeats itself by the evaluation\'s measure', () => {
  // eval/lib/metrics.ts's repeatsItself is the editor-path evaluation's own definition (issue #16,
  // repetition rate <= 2%); every golden raw text is put through the pipeline and measured with it.
  for (const c of golden.cases) {
    it(c.name, () => {
      const context = gatherContext(withCursor(c.document), budget);
      const shown = run(c);
      if (shown !== null) assert.equal(repeatsItself(shown, context.linePrefix, linesAbove(context.prefix).at(-1) ?? ''), false, JSON.stringify(shown));
    });
  }
});

describe('completion/postprocess: decideMultiline', () => {
  const cases: [string, MultilineSetting, boolean][] = [
    ['▮', 'auto', true],
    ['  ▮', 'auto', true],
    ['function f() {▮', 'auto', true],
    ['function f() {▮}', 'auto', true],
    ['call(▮);', 'auto', true],
    ['const x = ▮', 'auto', false],
    ['foo(▮bar)', 'auto', false],
    ['  ▮ x', 'auto', false],
    ['const x = ▮', 'always', true],
    ['▮', 'never', false],
  ];
  for (const [doc, setting, expected] of cases) {
    it(`${JSON.stringify(doc)} (${setting}) -> ${expected ? 'multi' : 'single'}-line`, () => {
      assert.equal(decideMultiline(gatherContext(withCursor(doc), budget), setting), expected);
    });
  }
});

describe('completion/postprocess: stage list', () => {
  it('every stage is named after its function and none returns a different type', () => {
    for (const [name, stage] of STAGES) {
      assert.equal(stage.name, name);
      assert.equal(typeof stage('x', { linePrefix: '', lineSuffix: '', nextLines: [], linesAbove: [], multiline: true }), 'string');
    }
  });
});

describe('completion/postprocess: matchLineEndings (what the provider inserts)', () => {
  const cases: [string, LineEnding, string][] = [
    ['a\nb\nc', '\r\n', 'a\r\nb\r\nc'],
    ['a\r\nb\nc\rd', '\r\n', 'a\r\nb\r\nc\r\nd'], // mixed in, one kind out
    ['a\r\nb\r\n', '\n', 'a\nb\n'],
    ['single line', '\r\n', 'single line'],
    ['\n\n', '\r\n', '\r\n\r\n'],
  ];
  for (const [text, eol, expected] of cases) {
    it(`${JSON.stringify(text)} in a ${eol === '\n' ? 'LF' : 'CRLF'} document -> ${JSON.stringify(expected)}`, () => {
      assert.equal(matchLineEndings(text, eol), expected);
    });
  }
});

describe('completion/postprocess: lineShape', () => {
  const cases: [string, string][] = [
    ['  cx: number;', 'a: a;'],
    ['cy:   number; ', 'a: a;'],
    ['x.x = x.y;', 'a.a = a.a;'],
    ["log('a)', 12.5, \"b\\\"c\", `t`);", 'a("", 0, "", "");'],
    ['v2 = 0x1F + 3;', 'a = 0 + 0;'],
    ['});', '});'],
  ];
  for (const [line, shape] of cases) it(`${JSON.stringify(line)} -> ${JSON.stringify(shape)}`, () => assert.equal(lineShape(line), shape));
});

describe('completion/postprocess: cutWithinLines (the generation loop\'s stop rule)', () => {
  const context = (doc: string) => {
    const c = gatherContext(withCursor(doc), budget);
    return postContextOf(c, true);
  };
  const fn = 'function f(a: number) {\n  ▮\n}\n';
  const cases: [string, string, boolean][] = [
    [fn, 'cx: number;', false],
    [fn, 'cx: number;\n  cy: number;', true],
    [fn, '  return a;\n  }', true], // the block's end, after the model's extra indentation is taken off
    [fn, 'const b = a * 2;\n  return b;', false],
    [fn, 'const b = 1;\n', true], // a blank line after text
    ['function f() {\n  ▮\n  return 1;\n}\n', 'return 1;', true], // the line below the cursor
  ];
  for (const [doc, lines, cut] of cases) {
    it(`${JSON.stringify(lines)} -> ${cut ? 'stop' : 'go on'}`, () => assert.equal(cutWithinLines(lines, context(doc)), cut));
  }
});

describe('completion/postprocess: repeatedPhraseAt', () => {
  const cases: [string, number][] = [
    ['| number | number | number | number', 9],
    ['x.getA.getA.getA', 6],
    ['a, b, a, b, a, b, a', 6],
    ['f("x", "min", "min", "min", "min"', 13], // after the separator: `f("x", "min",`
    ['abab', -1], // twice is not a loop
    ['-------- ======', -1], // no letter
    ['[0, 0, 0, 0]', -1],
    ['ab\nab\nab', -1], // lines are stopAtRepetition's
  ];
  for (const [text, at] of cases) it(`${JSON.stringify(text)} -> ${at}`, () => assert.equal(repeatedPhraseAt(text), at));

  // The generation loop checks the text after every token, passing what it already checked: the
  // first stop it finds must be the one a full check of each prefix finds.
  const grown = [...cases.map(([t]) => t), 'return this.value.value.value;\n  x = "ab" + "ab" + "ab" + "ab";', '  if (a) {\n    go(a, b, a, b, a, b);\n  }'];
  for (const text of grown) {
    it(`checked as it grows, ${JSON.stringify(text)} stops where a full check does`, () => {
      const full = (() => {
        for (let n = 1; n <= text.length; n++) if (repeatedPhraseAt(text.slice(0, n)) >= 0) return [n, repeatedPhraseAt(text.slice(0, n))];
        return null;
      })();
      let checked = 0;
      let incremental: number[] | null = null;
      for (let n = 1; n <= text.length && incremental === null; n += 1 + (n % 3)) {
        const at = repeatedPhraseAt(text.slice(0, n), checked);
        if (at >= 0) incremental = [n, at];
        checked = n;
      }
      // Steps of 1-3 characters (tokens): the incremental check stops at the first step at or after the full check's.
      if (full === null) assert.equal(incremental, null);
      else assert.ok(incremental !== null && incremental[0] >= full[0] && incremental[0] < full[0] + 3 && incremental[1] === repeatedPhraseAt(text.slice(0, incremental[0])), `${incremental} vs ${full}`);
    });
  }
});
