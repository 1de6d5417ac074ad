import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenizerFiles } from '../../../src/model/tokenizer';
import { buildCorpus, type CorpusOptions } from '../../../training/corpus/buildCorpus';
import { tarballFileName } from '../../../training/corpus/fetchTarball';
import { makeTgz, sha512Integrity, sourceModule, tempDir } from './fixtures';

/** Small offline corpus: three packages in a pre-filled cache, one of them held out. */
const mod = (seed: string): string => sourceModule(seed, 4);

describe('npm run corpus (buildCorpus, offline fixtures)', function () {
  this.timeout(60_000);
  let dir: string;
  let options: CorpusOptions;
  const packages: Record<string, Record<string, string>> = {
    alpha: {
      'src/index.ts': mod('alpha'),
      'src/copy.ts': mod('alpha'), // exact duplicate of index.ts; copy.ts comes first in path order
      'dist/index.min.js': 'var a=1;',
      'src/crlf.ts': '\uFEFF' + mod('crlf').replace(/\n/g, '\r\n'),
      'README.md': '# alpha',
    },
    '@scope/beta': {
      'lib/beta.js': mod('beta') + '\n// mentions <|endoftext|> in a comment\n',
      'lib/gamma.js': mod('gamma'),
    },
    delta: { 'lib/delta.js': mod('delta') },
    empty: { 'README.md': 'docs only' },
  };

  before(() => {
    dir = tempDir('corpus');
    const cache = join(dir, 'cache');
    const lines: string[] = [];
    for (const [name, files] of Object.entries(packages)) {
      const tgz = makeTgz(dir, files);
      mkdirSync(cache, { recursive: true });
      writeFileSync(join(cache, tarballFileName(name, '1.0.0')), tgz);
      lines.push(`${name}@1.0.0\tMIT\ttrain\t${sha512Integrity(tgz)}`);
    }
    writeFileSync(join(dir, 'packages.txt'), lines.join('\n') + '\n');
    options = {
      packageList: join(dir, 'packages.txt'),
      cacheDir: cache,
      outDir: join(dir, 'out'),
      vocabSize: 320,
      minFrequency: 2,
      valFraction: 0.1,
      valPackages: ['delta'],
      tokenizerSampleBytes: 1e6,
      maxFileBytes: 200_000,
      minPackageBytes: 100,
      maxPackageBytes: 0,
      modelMaxLength: 256,
      fim: { rate: 0, maxPieceBytes: 1400, maxMiddleLines: 8, order: 'spm' },
      maxValOverlap: 0.3,
      offline: true,
      log: () => {},
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const readIds = (file: string): Uint16Array => {
    const bytes = readFileSync(file);
    const ids = new Uint16Array(bytes.length / 2);
    for (let i = 0; i < ids.length; i++) ids[i] = bytes.readUInt16LE(2 * i);
    return ids;
  };
  const documents = (ids: Uint16Array): Uint16Array[] => {
    const docs: Uint16Array[] = [];
    let start = -1;
    ids.forEach((id, i) => {
      if (id !== 0) return;
      if (start >= 0) docs.push(ids.subarray(start + 1, i));
      start = i;
    });
    return docs;
  };

  it('writes the documents, each after <|endoftext|>, with a "// package/path" header and normalised text', () => {
    const meta = buildCorpus(options);
    const tokenizer = readTokenizerFiles(join(options.outDir, 'tokenizer'));
    const train = readIds(join(options.outDir, 'train.bin'));
    assert.equal(train[0], 0);
    assert.equal(train[train.length - 1], 0);
    const texts = documents(train).map((d) => tokenizer.decode(d));
    assert.deepEqual(texts, [
      `// alpha/src/copy.ts\n${mod('alpha')}`,
      `// alpha/src/crlf.ts\n${mod('crlf')}`,
      `// @scope/beta/lib/beta.js\n${packages['@scope/beta']['lib/beta.js']}`,
      `// @scope/beta/lib/gamma.js\n${mod('gamma')}`,
    ]);
    assert.equal(meta.splits.train.tokens, train.length);
    assert.equal(meta.splits.train.files, 4);
    assert.equal(meta.vocabSize, 320);
  });

  it('holds out whole packages: val.bin and val-files.jsonl hold only delta', () => {
    const tokenizer = readTokenizerFiles(join(options.outDir, 'tokenizer'));
    const val = documents(readIds(join(options.outDir, 'val.bin'))).map((d) => tokenizer.decode(d));
    assert.deepEqual(val, [`// delta/lib/delta.js\n${mod('delta')}`]);
    const lines = readFileSync(join(options.outDir, 'val-files.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, [{ package: 'delta', path: 'lib/delta.js', text: mod('delta') }]);
  });

  it('records licenses, drop reasons, skipped packages and bytes/token in meta.json', () => {
    const meta = JSON.parse(readFileSync(join(options.outDir, 'meta.json'), 'utf8'));
    const alpha = meta.packages.find((p: { name: string }) => p.name === 'alpha');
    assert.deepEqual(
      { license: alpha.license, split: alpha.split, files: alpha.files, dropped: alpha.dropped },
      { license: 'MIT', split: 'train', files: 2, dropped: { 'minified-name': 1, 'exact-duplicate': 1 } },
    );
    const empty = meta.packages.find((p: { name: string }) => p.name === 'empty');
    assert.equal(empty.status, 'skipped');
    assert.match(empty.skipReason, /little-source: 0 usable source files/);
    assert.equal(meta.splits.val.packages, 1);
    assert.ok(meta.splits.val.bytesPerToken > 1, `${meta.splits.val.bytesPerToken}`);
  });

  it('never emits a special id from file text', () => {
    const train = readIds(join(options.outDir, 'train.bin'));
    const zeros = train.filter((id) => id === 0).length;
    assert.equal(zeros, 4 + 1);
    assert.ok(train.every((id) => id === 0 || id >= 4));
  });

  it('is deterministic: a second run writes identical bytes', () => {
    const names = ['train.bin', 'val.bin', 'val-files.jsonl', 'meta.json', 'tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json'];
    const first = names.map((n) => readFileSync(join(options.outDir, n)));
    const again = { ...options, outDir: join(dir, 'again') };
    buildCorpus(again);
    names.forEach((n, i) => assert.ok(readFileSync(join(again.outDir, n)).equals(first[i]), n));
  });

  it('caps a package at maxPackageBytes', () => {
    const capped = buildCorpus({ ...options, outDir: join(dir, 'capped'), maxPackageBytes: 1000 });
    const alpha = capped.packages.find((p) => p.name === 'alpha');
    assert.ok(alpha && alpha.bytes <= 1000 && alpha.files === 1 && alpha.dropped['package-cap'] === 1, JSON.stringify(alpha));
  });
});
