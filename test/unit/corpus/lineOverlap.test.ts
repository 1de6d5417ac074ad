import { strict as assert } from 'node:assert';
import { COMMON_LINE_FILES, LineIndex, contentLineHashes } from '../../../training/corpus/lineOverlap';

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `export const ${prefix}${i} = compute("${prefix}", ${i});`);

describe('line overlap between validation and training files', () => {
  it('counts distinct trimmed content lines only (not braces, short or letter-less lines)', () => {
    const text = ['  return value + offset;', 'return value + offset;   ', '}', '});', 'return;', '1234567890 + 1234567890', ''].join('\n');
    assert.equal(contentLineHashes(text).size, 1);
  });

  it('reports the share of a file\'s lines found in the one training file that shares the most', () => {
    const index = new LineIndex();
    index.add(0, lines('a', 10).join('\n'));
    index.add(1, lines('b', 10).join('\n'));
    // 3 lines of file 0, 2 of file 1, 5 new: the worst single file shares 3 of 10
    const val = [...lines('a', 3), ...lines('b', 2), ...lines('c', 5)].join('\n');
    assert.deepEqual(index.overlap(val), { fraction: 0.3, fileId: 0 });
    assert.deepEqual(index.overlap(lines('c', 4).join('\n')), { fraction: 0, fileId: undefined });
    assert.deepEqual(index.overlap('}\n'), { fraction: 0 });
    const copied = [...lines('b', 4), 'export const extra = 1 + 2 + 3;'].join('\n');
    assert.deepEqual(index.overlap(copied), { fraction: 0.8, fileId: 1 });
  });

  it('counts a boilerplate line found in many training files as shared with every one (an upper bound)', () => {
    const index = new LineIndex();
    const boilerplate = 'Object.defineProperty(exports, "__esModule", { value: true });';
    for (let id = 0; id <= COMMON_LINE_FILES; id++) index.add(id, [boilerplate, ...lines(`f${id}_`, 3)].join('\n'));
    // 1 boilerplate line + 1 line of file 5, of 4 content lines
    const val = [boilerplate, lines('f5_', 1)[0], ...lines('new', 2)].join('\n');
    assert.deepEqual(index.overlap(val), { fraction: 0.5, fileId: 5 });
  });
});
