import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable, withSettingsTable } from '../../../src/config/settingsTable';

const README = new URL('../../../README.md', import.meta.url);

describe('settings table in README.md', () => {
  it('has one row per setting, with type, range and default', () => {
    const table = settingsTable();
    assert.match(table, /^\| `localGpt\.threads` \| integer 0\.\.16 \| `0` \| /m);
    assert.match(table, /^\| `localGpt\.backend` \| `auto` \\\| `native` \\\| `wasm` \| `"auto"` \| /m);
    assert.match(table, /^\| `localGpt\.model` \| string \| `""` \| .*`localGpt\.remoteHost`/m);
  });

  it('is current (UPDATE_README=1 npx mocha test/unit/config/settingsTable.test.ts rewrites it)', () => {
    const text = readFileSync(README, 'utf8');
    const expected = withSettingsTable(text);
    if (process.env.UPDATE_README && expected !== text) writeFileSync(README, expected);
    else assert.equal(text, expected, 'README.md settings table differs from package.json; run with UPDATE_README=1');
  });
});
