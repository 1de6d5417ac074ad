/**
 * The import graph of src/: `vscode` only under src/extension/, each layer imports only the layers
 * LAYERS allows (docs/ARCHITECTURE.md draws the same order), and no import cycles (type-only imports
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

interface Layer {
  name: string;
  /** A folder (`name/`) or one file under src/; a file belongs to the longest that contains it. */
  path: string;
  mayImport: readonly string[];
}

/**
 * The layers, lowest first; each may import its own modules and those named in `mayImport` (only
 * rows above it: the order has no cycle). `engine/protocol.ts` is a layer of its own: the contract
 * between the host and the worker, whose types the completion pipeline, the copy model's host side
 * and the settings speak in, while the rest of the engine runs post-processing, attention and the model.
 */
const LAYERS: readonly Layer[] = [
  { name: 'validation', path: 'validation/', mayImport: [] },
  { name: 'model', path: 'model/', mayImport: ['validation'] },
  { name: 'attention', path: 'attention/', mayImport: ['validation'] },
  { name: 'protocol', path: 'engine/protocol.ts', mayImport: ['validation', 'attention'] },
  { name: 'config', path: 'config/', mayImport: ['validation', 'protocol'] },
  { name: 'workspace', path: 'workspace/', mayImport: ['validation', 'protocol', 'config'] },
  { name: 'completion', path: 'completion/', mayImport: ['validation', 'protocol', 'config', 'workspace'] },
  { name: 'engine', path: 'engine/', mayImport: ['validation', 'model', 'attention', 'protocol', 'config', 'workspace', 'completion'] },
  { name: 'webview', path: 'webview/', mayImport: ['validation', 'attention'] },
  { name: 'extension', path: 'extension/', mayImport: ['validation', 'model', 'attention', 'protocol', 'config', 'workspace', 'completion', 'engine'] },
];

/** The layer of a path relative to src/ (`/`-separated), or null. */
function layerOf(file: string, layers: readonly Layer[]): Layer | null {
  const containing = layers.filter((l) => (l.path.endsWith('/') ? file.startsWith(l.path) : file === l.path));
  return containing.sort((a, b) => b.path.length - a.path.length)[0] ?? null;
}

/**
 * Every import the layers do not allow, as `from -> to (why)`; `graph` maps a module to the modules it
 * imports, paths relative to src/ with `/`. A module in no layer is reported too (a new folder needs a row).
 */
function layerViolations(graph: ReadonlyMap<string, readonly string[]>, layers: readonly Layer[]): string[] {
  const found: string[] = [];
  for (const [from, imports] of graph) {
    const own = layerOf(from, layers);
    if (!own) {
      found.push(`${from} (in no layer)`);
      continue;
    }
    for (const to of imports) {
      const target = layerOf(to, layers);
      if (target && target !== own && !own.mayImport.includes(target.name)) found.push(`${from} -> ${to} (${own.name} may not import ${target.name})`);
    }
  }
  return found;
}

/** Rows whose `mayImport` names a layer that is not above them (which would allow a cycle of layers). */
function unorderedRows(layers: readonly Layer[]): string[] {
  return layers.flatMap((l, i) => l.mayImport.filter((m) => !layers.slice(0, i).some((above) => above.name === m)).map((m) => `${l.name} -> ${m}`));
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

  const graph = new Map(files.map((f) => [f, specifiers(f).flatMap((s) => resolveLocal(f, s, fileSet) ?? [])]));
  const relative = (f: string) => path.relative(SRC, f).split(path.sep).join('/');

  it('imports across layers only downwards, as LAYERS allows', () => {
    assert.deepEqual(unorderedRows(LAYERS), []);
    const relativeGraph = new Map([...graph].map(([f, imports]) => [relative(f), imports.map(relative)]));
    assert.deepEqual(layerViolations(relativeGraph, LAYERS), []);
  });

  it('finds an import the layers do not allow, and a module in no layer (the check can fail)', () => {
    const layers: Layer[] = [
      { name: 'low', path: 'low/', mayImport: [] },
      { name: 'contract', path: 'high/contract.ts', mayImport: ['low'] },
      { name: 'high', path: 'high/', mayImport: ['low', 'contract'] },
    ];
    const fake = new Map([
      ['low/a.ts', ['low/b.ts']],
      ['low/b.ts', ['high/contract.ts']],
      ['high/contract.ts', ['low/a.ts']],
      ['high/c.ts', ['high/contract.ts', 'low/a.ts', 'high/d.ts']],
      ['stray.ts', []],
    ]);
    assert.deepEqual(layerViolations(fake, layers), ['low/b.ts -> high/contract.ts (low may not import contract)', 'stray.ts (in no layer)']);
    assert.deepEqual(unorderedRows([{ name: 'x', path: 'x/', mayImport: ['y'] }, { name: 'y', path: 'y/', mayImport: [] }]), ['x -> y']);
  });

  it('has no import cycles', () => {
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
