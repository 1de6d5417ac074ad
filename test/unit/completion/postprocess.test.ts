import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatherContext } from '../../../src/completion/context';
import { decideMultiline, matchLineEndings, postProcess, STAGES, type LineEnding, type MultilineSetting } from '../../../src/completion/postprocess';
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
  return postProcess(c.raw, { ...context, multiline: decideMultiline(context, c.multiline ?? 'auto') });
}

describe('completion/postprocess (golden cases)', () => {
  for (const c of golden.cases) {
    it(c.name, () => assert.equal(run(c), c.expected));
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
      assert.equal(typeof stage('x', { linePrefix: '', lineSuffix: '', nextLines: [], multiline: true }), 'string');
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
