/**
 * The training package list: one package per line, `name@version<TAB>license<TAB>split<TAB>integrity`.
 * Blank lines and lines starting with `#` are ignored.
 */

export type Split = 'train' | 'val';

export interface PackageEntry {
  /** `name@version`, what `npm pack` is given. */
  spec: string;
  name: string;
  version: string;
  license: string;
  /** The split column as written: 'train' or 'val' (`validation` is read as 'val'). */
  listedSplit: Split;
  /** Subresource-integrity string, e.g. `sha512-…`. */
  integrity: string;
}

const SPLIT_NAMES: Record<string, Split> = { train: 'train', val: 'val', valid: 'val', validation: 'val' };

/** Parses the list; throws an Error naming `fileName` and the line for every malformed line. */
export function parsePackageList(text: string, fileName: string): PackageEntry[] {
  const entries: PackageEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${fileName}:${index + 1}`;
    const columns = line.split('\t').map((c) => c.trim());
    if (columns.length !== 4) {
      throw new Error(`${where}: expected 4 tab-separated columns (name@version, license, split, integrity), got ${columns.length}`);
    }
    const [spec, license, splitText, integrity] = columns;
    // The version is after the last '@' that is not the scope's leading '@'.
    const at = spec.lastIndexOf('@');
    if (at <= 0 || at === spec.length - 1) throw new Error(`${where}: "${spec}" is not name@version`);
    const name = spec.slice(0, at);
    const version = spec.slice(at + 1);
    const listedSplit = SPLIT_NAMES[splitText.toLowerCase()];
    if (listedSplit === undefined) {
      throw new Error(`${where}: unknown split "${splitText}" (expected train or val)`);
    }
    if (!/^sha(1|256|384|512)-[A-Za-z0-9+/=]+$/.test(integrity.split(/\s+/)[0])) {
      throw new Error(`${where}: "${integrity}" is not an integrity string like sha512-<base64>`);
    }
    if (seen.has(name)) throw new Error(`${where}: package ${name} is listed twice`);
    seen.add(name);
    entries.push({ spec, name, version, license, listedSplit, integrity });
  });
  if (entries.length === 0) throw new Error(`${fileName}: no packages listed`);
  return entries;
}
