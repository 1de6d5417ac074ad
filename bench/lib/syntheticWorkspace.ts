/**
 * A synthetic TypeScript workspace for the indexing bench and the memory-cap test: `files` modules of
 * about 150 lines each, written from a shared vocabulary of identifiers (as a real package's files
 * share names) plus a few of their own. Deterministic: the same arguments give the same files.
 */

/** Shared identifiers across the workspace (a real package of 5,000 files has thousands). */
const SHARED_NAMES = 3000;
/** Names only one file uses. */
const OWN_NAMES = 12;

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SyntheticFile {
  relativePath: string;
  text: string;
}

/** The `index`-th file of a synthetic workspace. */
export function syntheticFile(index: number, lines = 150): SyntheticFile {
  const random = prng(index + 1);
  const shared = () => `name${Math.floor(random() * SHARED_NAMES)}`;
  const own = () => `local${index}x${Math.floor(random() * OWN_NAMES)}`;
  const out: string[] = [`import { ${shared()}, ${shared()} } from './module${Math.floor(random() * 100)}';`, ''];
  while (out.length < lines) {
    const fn = own();
    out.push(`export function ${fn}(${shared()}: number, ${shared()}: string): number {`);
    const body = 3 + Math.floor(random() * 8);
    for (let i = 0; i < body; i++) out.push(`  const ${own()} = ${shared()}(${shared()}, ${shared()}.${shared()});`);
    out.push(`  return ${shared()} + ${own()};`, '}', '');
  }
  return { relativePath: `src/dir${index % 50}/module${index}.ts`, text: out.join('\n') };
}
