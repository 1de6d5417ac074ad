import { createHash } from 'node:crypto';

const ALGORITHMS: Record<string, string> = { sha512: 'sha512', sha384: 'sha384', sha256: 'sha256', sha1: 'sha1' };

/**
 * Checks `data` against a subresource-integrity string (`sha512-<base64>`, possibly several separated by
 * spaces, as npm writes them). True when any listed hash matches; throws when none uses a known algorithm.
 */
export function matchesIntegrity(data: Uint8Array, integrity: string): boolean {
  let known = false;
  for (const item of integrity.trim().split(/\s+/)) {
    const dash = item.indexOf('-');
    const algorithm = ALGORITHMS[item.slice(0, dash)];
    if (dash < 0 || algorithm === undefined) continue;
    known = true;
    const expected = item.slice(dash + 1).replace(/\?.*$/, ''); // SRI allows ?options after the digest
    if (createHash(algorithm).update(data).digest('base64') === expected) return true;
  }
  if (!known) throw new Error(`unsupported integrity string "${integrity}" (expected sha512-<base64>)`);
  return false;
}

/** Thrown when a tarball does not match its listed integrity: the whole corpus run stops. */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
}
