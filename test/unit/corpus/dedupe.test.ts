import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deduplicator, minHashSignature, similarity } from '../../../training/corpus/dedupe';
import { sourceModule } from './fixtures';

function classModule(): string {
  const methods = ['open', 'close', 'read', 'write', 'flush', 'seek'].map(
    (m, i) => `  ${m}(buffer: Uint8Array, offset = ${i}): Promise<number> {\n    if (this.closed) throw new Error('${m} after close');\n    return this.device.${m}(buffer.subarray(offset));\n  }`,
  );
  return `export class FileHandle {\n  private closed = false;\n  constructor(private readonly device: Device) {}\n${methods.join('\n\n')}\n}\n`;
}

describe('deduplication', () => {
  // A real module of this repo, and the same module as a CommonJS build would ship it.
  const esm = readFileSync(join(__dirname, '../../../training/corpus/tarball.ts'), 'utf8');
  const cjs =
    '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n' +
    esm.replace("import { gunzipSync } from 'node:zlib';", "const node_zlib_1 = require(\"node:zlib\");").replace(/export function/g, 'function') +
    '\nexports.readTgz = readTgz;\nexports.readTar = readTar;\n';

  it('drops exact copies and keeps the first', () => {
    const d = new Deduplicator();
    assert.equal(d.check(esm), undefined);
    assert.equal(d.check(esm), 'exact-duplicate');
  });

  it('drops near copies: the CommonJS build of an ESM file, or a reformatted file', () => {
    const d = new Deduplicator();
    assert.equal(d.check(esm), undefined);
    assert.equal(d.check(cjs), 'near-duplicate');
    assert.equal(d.check(esm.replace(/  /g, '    ').replace(/;\n/g, ';\n\n')), 'near-duplicate');
  });

  it('keeps different files, even when they share boilerplate', () => {
    const d = new Deduplicator();
    for (const seed of ['one', 'two', 'three', 'four']) assert.equal(d.check(sourceModule(seed, 40)), undefined, seed);
  });

  it('estimates similarity: 1 for identical, low for unrelated text', () => {
    const a = minHashSignature(esm);
    const b = minHashSignature(classModule());
    assert.ok(a && b);
    assert.equal(similarity(a, a), 1);
    assert.ok(similarity(a, b) < 0.1, `${similarity(a, b)}`);
    const c = minHashSignature(cjs);
    assert.ok(c && similarity(a, c) >= 0.8, `esm/cjs similarity ${c && similarity(a, c)}`);
    assert.equal(minHashSignature('a b'), undefined);
  });
});
