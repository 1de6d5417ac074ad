import { strict as assert } from 'node:assert';
import { tabAcceptsAsShown } from '../../../src/completion/tabAcceptance';

describe('completion/tabAcceptance: does Tab accept the ghost text as shown?', () => {
  // [line before the cursor, ghost text, tab size, accepted]
  const cases: [string, string, number, boolean][] = [
    ['  ', 'return a;', 2, true],
    ['  ', '  return a;', 2, false], // a full tab stop of whitespace: Tab indents instead
    ['  ', ' return a;', 2, true], // less than a tab stop
    ['    ', '  return a;', 4, true],
    ['    ', '    return a;', 4, false],
    ['', '\treturn a;', 4, false],
    ['', '\nreturn a;', 2, true], // the first line is empty: nothing to indent
    ['  x', '  = 1;', 2, true], // after text, whitespace is just text
    ['\t', ' \treturn', 4, false], // a space then a tab reaches the tab stop
  ];
  for (const [prefix, ghost, tab, accepted] of cases) {
    it(`${JSON.stringify(prefix)} + ${JSON.stringify(ghost)} (tab size ${tab}) -> ${accepted ? 'accepted' : 'Tab indents'}`, () =>
      assert.equal(tabAcceptsAsShown(prefix, ghost, tab), accepted));
  }
});
