import { strict as assert } from 'node:assert';
import { parsePackageList } from '../../../training/corpus/packageList';

const INTEGRITY = 'sha512-a4Ux9VKuIMHsOS7ENbEq6hK2ZGYIT27Rtl0E4eD9KqwxhKiQeMZE/9xb3IdYwWaSOyIBQLExhQgXDTYoiCxnWA==';

describe('package list parser', () => {
  it('reads name@version, license, split and integrity, including scoped names', () => {
    const text = `# comment\ntslib@2.9.1\t0BSD\ttrain\t${INTEGRITY}\n\n@types/node@26.6.7\t(MIT OR CC0-1.0)\tval\t${INTEGRITY}\r\n`;
    assert.deepEqual(parsePackageList(text, 'list.txt'), [
      { spec: 'tslib@2.9.1', name: 'tslib', version: '2.9.1', license: '0BSD', listedSplit: 'train', integrity: INTEGRITY },
      { spec: '@types/node@26.6.7', name: '@types/node', version: '26.6.7', license: '(MIT OR CC0-1.0)', listedSplit: 'val', integrity: INTEGRITY },
    ]);
  });

  it('reads "validation" as val', () => {
    assert.equal(parsePackageList(`a@1.0.0\tMIT\tvalidation\t${INTEGRITY}`, 'l')[0].listedSplit, 'val');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['three columns', `a@1.0.0\tMIT\t${INTEGRITY}`, /list\.txt:2: expected 4 tab-separated columns/],
    ['no version', `a\tMIT\ttrain\t${INTEGRITY}`, /list\.txt:2: "a" is not name@version/],
    ['scope without version', `@types/node\tMIT\ttrain\t${INTEGRITY}`, /list\.txt:2: "@types\/node" is not name@version/],
    ['unknown split', `a@1.0.0\tMIT\ttest\t${INTEGRITY}`, /list\.txt:2: unknown split "test"/],
    ['bad integrity', `a@1.0.0\tMIT\ttrain\tmd5-abc`, /list\.txt:2: "md5-abc" is not an integrity string/],
    ['duplicate', `b@1.0.0\tMIT\ttrain\t${INTEGRITY}`, /list\.txt:2: package b is listed twice/],
  ];
  for (const [name, line, error] of bad) {
    it(`rejects a line with ${name}, naming file and line`, () => {
      assert.throws(() => parsePackageList(`b@2.0.0\tMIT\ttrain\t${INTEGRITY}\n${line}\n`, 'list.txt'), error);
    });
  }

  it('rejects an empty list', () => {
    assert.throws(() => parsePackageList('# nothing\n', 'list.txt'), /list\.txt: no packages listed/);
  });
});
