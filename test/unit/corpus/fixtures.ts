import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `localgpt-${prefix}-`));
}

/** Writes `files` under `package/` and packs them with the system tar, like an npm tarball. Returns the .tgz bytes. */
export function makeTgz(workDir: string, files: Record<string, string>, format: 'gnu' | 'pax' = 'gnu'): Buffer {
  const root = mkdtempSync(join(workDir, 'src-'));
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, 'package', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  const out = join(root, 'out.tgz');
  execFileSync('tar', [`--format=${format}`, '-czf', out, '-C', root, 'package']);
  return readFileSync(out);
}

export function sha512Integrity(data: Uint8Array): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/** A plausible hand-written module; `seed` varies identifiers so different seeds are not near duplicates. */
export function sourceModule(seed: string, lines = 30): string {
  const out = [`import { helper${seed} } from './helpers${seed}';`, ''];
  for (let i = 0; i < lines; i++) {
    out.push(`export function ${seed}Step${i}(value${i}: number, label: string): string {`);
    out.push(`  const scaled${seed} = helper${seed}(value${i} * ${i + 1}, ${(i * 37) % 11});`);
    out.push(`  return \`\${label}-${seed}-\${scaled${seed}.toFixed(${i % 4})}\`;`);
    out.push('}', '');
  }
  return out.join('\n');
}
