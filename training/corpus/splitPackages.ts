import { createHash } from 'node:crypto';
import type { PackageEntry, Split } from './packageList';

export interface SplitOptions {
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
 *  3. Otherwise: the round(valFraction * n) packages (at least 1) with the smallest sha256(name) are val. The
 *     hash makes the choice deterministic and independent of list order and of which other packages are listed.
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
  const valCount = Math.max(1, Math.round(fraction * entries.length));
  const byHash = [...entries].sort((a, b) => compareStrings(nameHash(a.name), nameHash(b.name)));
  const val = new Set(byHash.slice(0, valCount).map((e) => e.name));
  for (const e of entries) splits.set(e.name, val.has(e.name) ? 'val' : 'train');
  return splits;
}

function nameHash(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
