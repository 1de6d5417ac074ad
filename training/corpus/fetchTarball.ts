import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IntegrityError, matchesIntegrity } from './integrity';
import type { PackageEntry } from './packageList';

/** File name `npm pack` gives a package: `@types/node@1.2.3` -> `types-node-1.2.3.tgz`. */
export function tarballFileName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace(/\//g, '-')}-${version}.tgz`;
}

interface FetchOptions {
  /** Use cached tarballs only. */
  offline?: boolean;
  /** Puts the tarball for `entry` at `file`; defaults to `npm pack` (tests pass a fake). */
  download?: (entry: PackageEntry, cacheDir: string, file: string) => void;
}

/**
 * Returns the verified tarball bytes of `entry`, downloading it with `npm pack` into `cacheDir` unless a
 * cached copy already matches the listed integrity. A cached copy that does not match is downloaded again
 * (offline: IntegrityError);
 * a fresh download that does not match throws IntegrityError (never silently train on other bytes).
 * Other download failures throw a plain Error (the caller skips the package).
 */
export function fetchTarball(entry: PackageEntry, cacheDir: string, options: FetchOptions = {}): Buffer {
  const file = join(cacheDir, tarballFileName(entry.name, entry.version));
  if (existsSync(file)) {
    const cached = readFileSync(file);
    if (matchesIntegrity(cached, entry.integrity)) return cached;
    if (options.offline) throw new IntegrityError(`${file}: cached tarball does not match the listed integrity of ${entry.spec}`);
    rmSync(file); // most likely a partial download: fetch it again
  }
  if (options.offline) throw new Error(`not in the cache ${cacheDir} and --offline is set`);
  mkdirSync(cacheDir, { recursive: true });
  (options.download ?? npmPack)(entry, cacheDir, file);
  const data = readFileSync(file);
  if (!matchesIntegrity(data, entry.integrity)) {
    throw new IntegrityError(
      `${file}: integrity mismatch for ${entry.spec}: the list says ${entry.integrity}, the downloaded tarball differs. ` +
        'Check the package list and the registry before training on it.',
    );
  }
  return data;
}

function npmPack(entry: PackageEntry, cacheDir: string, file: string): void {
  const result = spawnSync('npm', ['pack', entry.spec, '--pack-destination', cacheDir, '--json', '--silent'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024, // --json lists every file of big packages
  });
  if (result.status !== 0 || !existsSync(file)) {
    const stderr = (result.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`npm pack ${entry.spec} failed (exit ${result.status ?? result.signal}): ${stderr || result.error?.message || `no ${file} written`}`);
  }
}
