import { strict as assert } from 'node:assert';
import { buildCopies, moduleKey } from '../../../training/corpus/buildCopies';

describe('build copies inside a package', () => {
  it('names a module by its path without build folders and extension', () => {
    assert.equal(moduleKey('dist/esm/util/map.mjs'), 'util/map');
    assert.equal(moduleKey('src/util/map.ts'), 'util/map');
    assert.equal(moduleKey('lib/cjs/util/map.d.cts'), 'util/map');
    assert.equal(moduleKey('types/index.d.ts'), 'index');
    assert.equal(moduleKey('fp/map.js'), 'fp/map');
    // a file named like a build folder keeps its name
    assert.equal(moduleKey('dist/lib.js'), 'lib');
  });

  it('keeps the TypeScript source and drops its compiled JavaScript and declarations', () => {
    const dropped = buildCopies(['src/map.ts', 'dist/map.js', 'dist/map.d.ts', 'dist/cjs/map.cjs', 'src/other.ts', 'src/App.tsx', 'dist/App.d.ts']);
    assert.deepEqual([...dropped].sort(), ['dist/App.d.ts', 'dist/cjs/map.cjs', 'dist/map.d.ts', 'dist/map.js']);
  });

  it('without TypeScript source, keeps one JavaScript build (esm before cjs before umd) and one declaration file', () => {
    const dropped = buildCopies(['umd/index.js', 'cjs/index.js', 'esm/index.js', 'index.d.ts', 'cjs/index.d.cts', 'esm/index.d.mts']);
    assert.deepEqual([...dropped].sort(), ['cjs/index.d.cts', 'cjs/index.js', 'index.d.ts', 'umd/index.js']);
    assert.deepEqual([...buildCopies(['lib/a.js', 'lib/a.cjs'])], ['lib/a.cjs']);
  });

  it('keeps different modules that only share a file name', () => {
    assert.deepEqual([...buildCopies(['map.js', 'fp/map.js', 'index.d.ts', 'fp/index.d.ts', 'src/a/util.ts', 'src/b/util.ts'])], []);
  });
});
