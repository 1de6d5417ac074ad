import { strict as assert } from 'node:assert';
import { offsetOfPosition, parseBatchPositions } from '../../../scripts/lib/batchPositions';

describe('scripts/lib/batchPositions: the --batch input', () => {
  it('reads one position per line, skipping blank lines, keeping the buffer text', () => {
    const input = '{"file":"src/a.ts","line":3,"column":5}\n\n{"file":"/abs/b.js","line":1,"column":1,"text":"x\\ny"}\r\n';
    assert.deepEqual(parseBatchPositions(input, 'p.jsonl'), [
      { file: 'src/a.ts', line: 3, column: 5 },
      { file: '/abs/b.js', line: 1, column: 1, text: 'x\ny' },
    ]);
  });

  const bad: [string, string][] = [
    ['{"file":"a.ts","line":1,"column":1}\nnope', 'p.jsonl:2: not JSON'],
    ['[1]', 'p.jsonl:1: expected an object {"file", "line", "column"}'],
    ['{"file":"","line":1,"column":1}', 'p.jsonl:1: "file" must be a non-empty string'],
    ['\n{"file":"a","line":0,"column":1}', 'p.jsonl:2: "line" must be an integer >= 1 (1-based), got 0'],
    ['{"file":"a","line":1,"column":"2"}', 'p.jsonl:1: "column" must be an integer >= 1 (1-based), got "2"'],
    ['{"file":"a","line":1,"column":1,"text":3}', 'p.jsonl:1: "text" must be a string (the document\'s buffer)'],
    ['{"file":"a","line":1,"column":1,"col":1}', 'p.jsonl:1: unknown field "col" (fields: file, line, column, text)'],
    ['\n  \n', 'p.jsonl: no positions (expected one JSON object per line: {"file", "line", "column"})'],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)} with "${message}"`, () => {
      assert.throws(() => parseBatchPositions(input, 'p.jsonl'), (e: Error) => e.message.startsWith(message));
    });
  }

  it('offsetOfPosition maps 1-based line/column to an offset, CRLF-aware', () => {
    const text = 'ab\r\ncde\nf';
    assert.equal(offsetOfPosition(text, 1, 1, 'x'), 0);
    assert.equal(offsetOfPosition(text, 1, 3, 'x'), 2);
    assert.equal(offsetOfPosition(text, 2, 4, 'x'), 7);
    assert.equal(offsetOfPosition(text, 3, 2, 'x'), 9);
    assert.throws(() => offsetOfPosition(text, 1, 4, 'f.ts'), /^Error: f\.ts: column 4 is outside 1\.\.3 of line 1$/);
    assert.throws(() => offsetOfPosition(text, 5, 1, 'f.ts'), /^Error: f\.ts: line 5 is outside 1\.\.3$/);
  });
});
