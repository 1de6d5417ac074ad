/**
 * The import graph of src/: `vscode` only under src/extension/, and no import cycles (type-only imports
 * included: a cycle of types still ties the modules' meaning together).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a file imports or re-exports (static, dynamic, type-only). */
function specifiers(file: string): string[] {
  return ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** The src/ file a relative specifier names, or null (a package, or a file outside src/ such as package.json). */
function resolveLocal(from: string, specifier: string, files: ReadonlySet<string>): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find((c) => files.has(c)) ?? null;
}

/** Strongly connected components with more than one module (Tarjan), each as paths relative to src/. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(path.relative(SRC, member));
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('src/ imports', () => {
  const files = sourceFiles(SRC);
  const fileSet = new Set(files);

  it('imports vscode only under src/extension/', () => {
    const outside = files.filter((f) => !f.startsWith(path.join(SRC, 'extension') + path.sep) && specifiers(f).includes('vscode'));
    assert.deepEqual(outside.map((f) => path.relative(SRC, f)), []);
  });

  it('has no import cycles', () => {
    const graph = new Map(files.map((f) => [f, specifiers(f).flatMap((s) => resolveLocal(f, s, fileSet) ?? [])]));
    assert.deepEqual(cycles(graph), []);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const graph = new Map([
      [path.join(SRC, 'a.ts'), [path.join(SRC, 'b.ts')]],
      [path.join(SRC, 'b.ts'), [path.join(SRC, 'a.ts')]],
      [path.join(SRC, 'c.ts'), [path.join(SRC, 'a.ts')]],
    ]);
    assert.deepEqual(cycles(graph), [['a.ts', 'b.ts']]);
  });
});
