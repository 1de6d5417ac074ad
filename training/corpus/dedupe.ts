import { createHash } from 'node:crypto';

/**
 * Drops exact and near duplicates, keeping the first occurrence in the order documents are offered.
 *
 * Exact: sha256 of the text. Near: MinHash over 5-token shingles with LSH banding (16 bands x 4 rows); a
 * candidate that shares a band is a duplicate when the estimated Jaccard similarity is at least `threshold`
 * (default 0.8, as in BigCode's near-dedupe). This catches the same module shipped as CommonJS and ESM, or
 * reformatted, which exact hashing misses. Lower thresholds start to drop distinct small files that share
 * compiler-emitted helpers (rxjs's CommonJS operators at 0.7-0.8).
 */
export class Deduplicator {
  private readonly exact = new Set<string>();
  private readonly bandOwners = new Map<string, number>();
  private readonly signatures: Uint32Array[] = [];
  private readonly threshold: number;

  constructor(options: { threshold?: number } = {}) {
    this.threshold = options.threshold ?? 0.8;
  }

  /** 'exact-duplicate' / 'near-duplicate' when an earlier kept text matches; otherwise records it and returns undefined. */
  check(text: string): 'exact-duplicate' | 'near-duplicate' | undefined {
    const digest = createHash('sha256').update(text).digest('hex');
    if (this.exact.has(digest)) return 'exact-duplicate';
    const signature = minHashSignature(text);
    const bandKeys: string[] = [];
    if (signature !== undefined) {
      for (let band = 0; band < BANDS; band++) {
        const key = `${band}:${signature.subarray(band * ROWS, (band + 1) * ROWS).join(',')}`;
        const owner = this.bandOwners.get(key);
        if (owner !== undefined && similarity(signature, this.signatures[owner]) >= this.threshold) return 'near-duplicate';
        bandKeys.push(key);
      }
    }
    this.exact.add(digest);
    if (signature !== undefined) {
      const index = this.signatures.push(signature) - 1;
      for (const key of bandKeys) if (!this.bandOwners.has(key)) this.bandOwners.set(key, index);
    }
    return undefined;
  }
}

const BANDS = 16;
const ROWS = 4;
const HASHES = BANDS * ROWS;
const SHINGLE = 5;
/** Per-hash-function seeds, fixed so signatures are reproducible. */
const SEEDS = Uint32Array.from({ length: HASHES }, (_, i) => fmix32(0x9e3779b9 ^ Math.imul(i + 1, 0x85ebca6b)));

/** Identifiers, numbers and single symbols: formatting (whitespace) does not change the shingles. */
const TOKEN = /[A-Za-z_$][\w$]*|\d+|\S/g;

/** MinHash signature of the text's token shingles; undefined when the text is too short to have any. */
export function minHashSignature(text: string): Uint32Array | undefined {
  const tokenHashes: number[] = [];
  for (const match of text.matchAll(TOKEN)) tokenHashes.push(stringHash(match[0]));
  if (tokenHashes.length < SHINGLE) return undefined;
  const signature = new Uint32Array(HASHES).fill(0xffffffff);
  for (let i = 0; i + SHINGLE <= tokenHashes.length; i++) {
    let h = 0;
    for (let k = 0; k < SHINGLE; k++) h = fmix32(h ^ tokenHashes[i + k]); // order-sensitive chain
    for (let j = 0; j < HASHES; j++) {
      const v = fmix32(h ^ SEEDS[j]);
      if (v < signature[j]) signature[j] = v;
    }
  }
  return signature;
}

/** Fraction of equal signature slots: an estimate of the Jaccard similarity of the shingle sets. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

function stringHash(s: string): number {
  // FNV-1a over UTF-16 units.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** MurmurHash3's 32-bit finaliser: a cheap, well-mixing permutation of 32-bit integers. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
