import { createHash } from 'node:crypto';
import type { PackageEntry, Split } from './packageList';

interface SplitOptions {
  /** Share of packages held out when the list marks none as val (default 0.1). */
  valFraction?: number;
  /** Explicit validation package names; overrides both the list's split column and valFraction. */
  valPackages?: readonly string[];
}

/**
 * Assigns every package to train or val. Validation is held out by whole package, never by lines or files,
 * so no file of a val package (or a copy of it elsewhere in that package) leaks into training.
 *  1. `valPackages` given: exactly those are val.
 *  2. The list marks some packages val: the list's column is honoured as written.
 *  3. Otherwise: a package is val when sha256(name), read as a fraction of 2^32, is below valFraction. The
 *     choice depends on the name alone, so it ignores list order and a package never changes split when
 *     others are added to the list (a model trained on an older corpus is never evaluated on its training
 *     data). If no name falls under the threshold, the one with the smallest hash is held out.
 */
export function assignSplits(entries: readonly PackageEntry[], options: SplitOptions = {}): Map<string, Split> {
  const splits = new Map<string, Split>();
  if (options.valPackages !== undefined) {
    const names = new Set(entries.map((e) => e.name));
    for (const name of options.valPackages) {
      if (!names.has(name)) throw new Error(`validation package "${name}" is not in the package list`);
    }
    const val = new Set(options.valPackages);
    for (const e of entries) splits.set(e.name, val.has(e.name) ? 'val' : 'train');
    return splits;
  }
  if (entries.some((e) => e.listedSplit === 'val')) {
    for (const e of entries) splits.set(e.name, e.listedSplit);
    return splits;
  }
  const fraction = options.valFraction ?? 0.1;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`valFraction must be between 0 and 1, got ${fraction}`);
  for (const e of entries) splits.set(e.name, nameHash(e.name) < fraction ? 'val' : 'train');
  if (![...splits.values()].includes('val')) {
    const smallest = entries.reduce((best, e) => (nameHash(e.name) < nameHash(best.name) ? e : best));
    splits.set(smallest.name, 'val');
  }
  return splits;
}

/** sha256 of the name as a number in [0, 1). */
function nameHash(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) / 2 ** 32;
}
