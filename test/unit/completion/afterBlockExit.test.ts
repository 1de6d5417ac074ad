import { strict as assert } from 'node:assert';
import { isAfterBlockExit } from '../../../src/completion/afterBlockExit';

describe('a fresh line after a block exit (src/completion/afterBlockExit.ts)', () => {
  const ts = (prefix: string, lineSuffix = '') => isAfterBlockExit(prefix, lineSuffix, 'typescript');

  it('is the line after return / throw / break / continue at the same indentation', () => {
    assert.equal(ts('function f(a: number) {\n  return a + 1;\n  '), true);
    assert.equal(ts('function f() {\n  throw new Error("x");\n  '), true);
    assert.equal(ts('switch (x) {\n  case 1:\n    break;\n    '), true);
    assert.equal(ts('for (;;) {\n    continue outer;\n    '), true);
    assert.equal(ts('if (a) {\n\treturn;\n\n\t'), true, 'blank lines between, tab indentation');
    assert.equal(ts('function f() {\r\n  return 1;\r\n  '), true, 'CRLF');
  });

  it('is not any other line', () => {
    assert.equal(ts('function f(a: number) {\n  return a + 1;\n'), false, 'dedented: the closing brace goes there');
    assert.equal(ts('function f(a: number) {\n  if (a) {\n    return a;\n  '), false, 'dedented below a nested return');
    assert.equal(ts('function f() {\n  return (\n    '), false, 'inside a multi-line return');
    assert.equal(ts('function f() {\n  return a +\n  '), false, 'an unfinished return');
    assert.equal(ts('function f() {\n  const returned = 1;\n  '), false, 'a word that starts with return');
    assert.equal(ts('function f() {\n  return 1;\n  x'), false, 'text typed on the line');
    assert.equal(ts('function f() {\n  return 1;\n  ', ' }'), false, 'text after the cursor');
    assert.equal(ts('  '), false, 'nothing above');
    assert.equal(isAfterBlockExit('fn main() {\n    return 1;\n    ', '', 'plaintext'), false, 'a language without the rule');
  });

  it('in Python and Go, a statement that ends at the line end', () => {
    assert.equal(isAfterBlockExit('def f(a):\n    return a + 1\n    ', '', 'python'), true);
    assert.equal(isAfterBlockExit('def f(a):\n    raise ValueError(a)\n    ', '', 'python'), true);
    assert.equal(isAfterBlockExit('def f(a):\n    return (a +\n    ', '', 'python'), false, 'open bracket');
    assert.equal(isAfterBlockExit('def f(a):\n    return a + \\\n    ', '', 'python'), false, 'line continuation');
    assert.equal(isAfterBlockExit('func f() int {\n\treturn 1\n\t', '', 'go'), true);
    assert.equal(isAfterBlockExit('func f() (int, error) {\n\treturn 1,\n\t', '', 'go'), false, 'a trailing comma goes on');
  });
});
