import { strict as assert } from 'node:assert';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fetchTarball, tarballFileName } from '../../../training/corpus/fetchTarball';
import { IntegrityError, matchesIntegrity } from '../../../training/corpus/integrity';
import type { PackageEntry } from '../../../training/corpus/packageList';
import { readTgz } from '../../../training/corpus/tarball';
import { makeTgz, sha512Integrity, tempDir } from './fixtures';

const LONG_PATH = `src/${'deeply/nested/'.repeat(9)}module.ts`; // > 100 chars: needs a long-name record

describe('npm tarballs', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('tarball')));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const format of ['gnu', 'pax'] as const) {
    it(`reads files from a ${format} tar.gz made by the system tar, without the package/ folder`, () => {
      const tgz = makeTgz(dir, { 'index.js': 'module.exports = 1;\n', [LONG_PATH]: 'export const x = "é😀";\n', 'package.json': '{}' }, format);
      const files = readTgz(tgz).sort((a, b) => (a.path < b.path ? -1 : 1));
      assert.deepEqual(files.map((f) => f.path), ['index.js', 'package.json', LONG_PATH]);
      assert.equal(files[2].data.toString('utf8'), 'export const x = "é😀";\n');
    });
  }

  it('reports a truncated archive instead of returning partial files', () => {
    const tgz = makeTgz(dir, { 'a.js': 'x'.repeat(5000) });
    const tar = gunzipSync(tgz);
    assert.throws(() => readTgz(gzipSync(tar.subarray(0, 2048))), /runs past the end of the archive/);
  });

  it('matches sha512 integrity and rejects a tampered tarball', () => {
    const tgz = makeTgz(dir, { 'a.js': 'let a = 1;\n' });
    const integrity = sha512Integrity(tgz);
    assert.equal(matchesIntegrity(tgz, integrity), true);
    const tampered = Buffer.from(tgz);
    tampered[tampered.length - 10] ^= 0xff;
    assert.equal(matchesIntegrity(tampered, integrity), false);
    assert.equal(matchesIntegrity(tgz, `sha1-AAAA ${integrity}`), true);
    assert.throws(() => matchesIntegrity(tgz, 'md5-abc'), /unsupported integrity string/);
  });

  describe('fetchTarball', () => {
    const good = (): { entry: PackageEntry; tgz: Buffer } => {
      const tgz = makeTgz(dir, { 'a.js': 'let a = 1;\n' });
      const entry: PackageEntry = { spec: '@scope/pkg@1.2.3', name: '@scope/pkg', version: '1.2.3', license: 'MIT', listedSplit: 'train', integrity: sha512Integrity(tgz) };
      return { entry, tgz };
    };

    it('names tarballs like npm pack', () => {
      assert.equal(tarballFileName('@types/node', '26.6.7'), 'types-node-26.6.7.tgz');
      assert.equal(tarballFileName('lodash', '4.18.1'), 'lodash-4.18.1.tgz');
    });

    it('uses a cached tarball that matches without downloading', () => {
      const { entry, tgz } = good();
      writeFileSync(join(dir, 'scope-pkg-1.2.3.tgz'), tgz);
      const data = fetchTarball(entry, dir, { download: () => assert.fail('should not download') });
      assert.deepEqual(data, tgz);
    });

    it('downloads again when the cached copy is damaged', () => {
      const { entry, tgz } = good();
      writeFileSync(join(dir, 'scope-pkg-1.2.3.tgz'), tgz.subarray(0, 10));
      let downloads = 0;
      const data = fetchTarball(entry, dir, { download: (_e, _d, file) => (downloads++, writeFileSync(file, tgz)) });
      assert.equal(downloads, 1);
      assert.deepEqual(data, tgz);
    });

    it('fails loudly when the downloaded tarball does not match the list', () => {
      const { entry, tgz } = good();
      const tampered = Buffer.from(tgz);
      tampered[20] ^= 1;
      assert.throws(
        () => fetchTarball(entry, dir, { download: (_e, _d, file) => writeFileSync(file, tampered) }),
        (e: Error) => e instanceof IntegrityError && /integrity mismatch for @scope\/pkg@1\.2\.3/.test(e.message),
      );
    });

    it('offline: refuses a damaged cache and reports a missing tarball', () => {
      const { entry, tgz } = good();
      assert.throws(() => fetchTarball(entry, dir, { offline: true }), /not in the cache .* --offline/);
      writeFileSync(join(dir, 'scope-pkg-1.2.3.tgz'), Buffer.concat([tgz, Buffer.from([0])]));
      assert.throws(() => fetchTarball(entry, dir, { offline: true }), IntegrityError);
      assert.ok(existsSync(join(dir, 'scope-pkg-1.2.3.tgz')), 'offline mode keeps the cached file for inspection');
    });

    it('passes download errors through for the caller to skip the package', () => {
      const { entry } = good();
      assert.throws(() => fetchTarball(entry, dir, { download: () => { throw new Error('npm pack failed (exit 1): 404'); } }), /404/);
    });
  });
});
