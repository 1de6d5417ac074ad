/**
 * Build copies inside one package: the same module shipped as TypeScript source and as compiled JavaScript
 * or `.d.ts` declarations, or as several builds (esm/cjs/umd, `.js`/`.mjs`/`.cjs`). Files are matched by
 * their module key, the path without its build folders and extension (`dist/esm/util/map.mjs` and
 * `src/util/map.ts` are both `util/map`); the MinHash near-dedupe misses these because compilation changes
 * more than a fifth of the tokens (types stripped, helpers added, declarations without bodies).
 */

/** Leading folders that name a build or source root rather than a part of the module's name. */
const ROOT_FOLDERS = new Set([
  'src', 'source', 'lib', 'dist', 'build', 'out', 'esm', 'es', 'es2015', 'es2020', 'esnext', 'mjs', 'cjs',
  'commonjs', 'umd', 'module', 'modules', 'types', 'typings', 'dts', 'declarations', 'node', 'browser',
]);

const DECLARATION = /\.d\.[cm]?ts$/;
const TS_SOURCE = /\.[cm]?tsx?$/;
const EXTENSION = /(\.d)?\.[cm]?[jt]sx?$/;

function isDeclarationPath(path: string): boolean {
  return DECLARATION.test(path);
}

/** TypeScript source (not a declaration file). */
function isTypeScriptSource(path: string): boolean {
  return TS_SOURCE.test(path) && !DECLARATION.test(path);
}

/** `dist/esm/util/map.d.mts` -> `util/map`. */
export function moduleKey(path: string): string {
  const parts = path.replace(EXTENSION, '').split('/');
  let first = 0;
  while (first < parts.length - 1 && ROOT_FOLDERS.has(parts[first])) first++;
  return parts.slice(first).join('/');
}

/** Builds later in this order are dropped first when a module has no TypeScript source. */
function buildRank(path: string): number {
  const parts = path.split('/');
  if (parts.some((p) => p === 'umd')) return 2;
  if (parts.some((p) => p === 'cjs' || p === 'commonjs') || path.endsWith('.cjs')) return 1;
  return 0;
}

/**
 * The paths to drop as build copies (`paths` are one package's source files):
 *  - a module with TypeScript source: every JavaScript and declaration file of that module;
 *  - otherwise: all but one JavaScript file, and all but one declaration file, of the module (the one kept
 *    is the first of esm/plain, then cjs, then umd builds, in path order).
 */
export function buildCopies(paths: readonly string[]): Set<string> {
  const byKey = new Map<string, string[]>();
  for (const path of paths) {
    const key = moduleKey(path);
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, [path]);
    else group.push(path);
  }
  const drop = new Set<string>();
  for (const group of byKey.values()) {
    if (group.length < 2) continue;
    if (group.some(isTypeScriptSource)) {
      for (const path of group) if (!isTypeScriptSource(path)) drop.add(path);
      continue;
    }
    for (const kind of [isDeclarationPath, (p: string) => !isDeclarationPath(p)]) {
      const same = group.filter(kind).sort((a, b) => buildRank(a) - buildRank(b) || (a < b ? -1 : a > b ? 1 : 0));
      for (const path of same.slice(1)) drop.add(path);
    }
  }
  return drop;
}
