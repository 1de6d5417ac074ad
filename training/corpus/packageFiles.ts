import type { DropReason, FilterOptions } from './sourceFilter';
import { dropReason, isSourcePath, normalizeSource } from './sourceFilter';
import type { TarFile } from './tarball';

export interface SourceFile {
  /** Path inside the package (no `package/` prefix). */
  path: string;
  /** Normalised text (see normalizeSource). */
  text: string;
}

interface PackageFiles {
  kept: SourceFile[];
  /** Source files dropped by the filters, by reason. */
  dropped: Partial<Record<DropReason, number>>;
  /** Files that are not source code at all (README, .map, .json, …). */
  otherFiles: number;
}

/** The source files of one package worth training on, in path order (byte order, for determinism). */
export function selectSourceFiles(files: readonly TarFile[], options: FilterOptions = {}): PackageFiles {
  const result: PackageFiles = { kept: [], dropped: {}, otherFiles: 0 };
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    if (!isSourcePath(file.path)) {
      result.otherFiles++;
      continue;
    }
    const reason = dropReason(file.path, file.data, options);
    if (reason !== undefined) {
      result.dropped[reason] = (result.dropped[reason] ?? 0) + 1;
      continue;
    }
    result.kept.push({ path: file.path, text: normalizeSource(file.data.toString('utf8')) });
  }
  return result;
}

/**
 * The training document for a file: a first line `// <package>/<path>` (the header the completion prompt
 * builder puts before the user's code), then the file.
 */
export function documentText(packageName: string, file: SourceFile): string {
  return `// ${packageName}/${file.path}\n${file.text}`;
}
