/**
 * `npx tsx scripts/measureHealing.ts VAL_FILES.jsonl [--per-kind N] [--seed S] [--kinds a,b] [--show]`
 *
 * What token healing at the prompt end (src/engine/tokenBoundary.ts) gains, per cursor position
 * kind, on held-out files (`val-files.jsonl` of `npm run corpus`: `{package, path, text}` per line).
 * Each position is completed twice through the extension's pipeline (greedy, model worker from
 * source), with healing and without, and the first line shown is compared with the line's real rest:
 * exact match and edit similarity. A quick measurement for the healing change, not the editor-path
 * evaluation (`npm run eval:editor`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalizeSettings } from '../src/config/settings';
import type { CancellationLike } from '../src/completion/debounce';
import { CompletionPipeline, type CompletionEngine } from '../src/completion/pipeline';
import { createRng } from '../src/engine/sampling';
import { resolveModelSetting } from '../src/engine/modelSource';
import { sourceWorker } from '../src/engine/sourceWorker';
import { engineConfigFor } from '../src/engine/engineConfig';
import { WorkerClient } from '../src/engine/workerClient';
import manifest from '../package.json';

const ROOT = path.resolve(__dirname, '..');
const never: CancellationLike = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };

interface Position {
  kind: string;
  file: string;
  /** Document text with the line's rest removed (the cursor's line ends at the cursor). */
  text: string;
  offset: number;
  /** What the user would go on to type on that line. */
  target: string;
}

/** Where a cursor goes in a line, per kind: the column, or null when the line has no such spot. */
const KINDS: Record<string, (line: string, rng: () => number) => number | null> = {
  // A fresh line: Enter was pressed, the editor indented, nothing typed yet.
  freshLine: (line) => {
    const indent = /^[ \t]+/.exec(line)?.[0].length ?? 0;
    return indent > 0 && line.trim().length >= 3 ? indent : null;
  },
  // Inside an identifier (2 or more characters typed, 2 or more left).
  midIdentifier: (line, rng) => {
    const words = [...line.matchAll(/[A-Za-z_$][\w$]{3,}/g)];
    if (words.length === 0) return null;
    const w = words[Math.floor(rng() * words.length)];
    return w.index! + 2 + Math.floor(rng() * (w[0].length - 3));
  },
  // After the first character of a two- or three-character operator.
  partialOperator: (line, rng) => {
    const ops = [...line.matchAll(/===|!==|==|!=|=>|<=|>=|&&|\|\||\+=|-=|\?\?/g)];
    if (ops.length === 0) return null;
    return ops[Math.floor(rng() * ops.length)].index! + 1;
  },
  // After the first word of a line (the position `npm run eval` measures).
  afterFirstWord: (line) => {
    const m = /^[ \t]*[A-Za-z_$][\w$]*/.exec(line);
    return m && line.length > m[0].length + 2 ? m[0].length : null;
  },
};

function positions(files: { package: string; path: string; text: string }[], perKind: number, seed: number): Position[] {
  const rng = createRng(seed);
  const out: Position[] = [];
  const code = files.filter((f) => /\.(ts|js|mjs|cjs|tsx|jsx)$/.test(f.path) && !f.path.endsWith('.d.ts') && f.text.length < 200_000);
  for (const [kind, spot] of Object.entries(KINDS)) {
    let found = 0;
    for (let tries = 0; found < perKind && tries < perKind * 200; tries++) {
      const f = code[Math.floor(rng() * code.length)];
      const lines = f.text.split('\n');
      const i = 5 + Math.floor(rng() * Math.max(1, lines.length - 5));
      const line = lines[i]?.replace(/\r$/, '');
      if (!line || /^\s*(\/\/|\*|\/\*)/.test(line)) continue; // code lines, not comments
      const column = spot(line, rng);
      if (column === null) continue;
      const before = lines.slice(0, i).join('\n') + '\n' + line.slice(0, column);
      const after = '\n' + lines.slice(i + 1).join('\n');
      out.push({ kind, file: `${f.package}/${f.path}`, text: before + after, offset: before.length, target: line.slice(column).trimEnd() });
      found++;
    }
  }
  return out;
}

function editSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const n = a.length;
  const m = b.length;
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur = [i];
    for (let j = 1; j <= m; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[m] / Math.max(n, m);
}

async function main(): Promise<void> {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) throw new Error('usage: scripts/measureHealing.ts VAL_FILES.jsonl [--per-kind N] [--seed S]');
  const flag = (name: string, fallback: number) => {
    const at = rest.indexOf(name);
    return at >= 0 ? Number(rest[at + 1]) : fallback;
  };
  const files = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { package: string; path: string; text: string });
  const kinds = rest.includes('--kinds') ? rest[rest.indexOf('--kinds') + 1].split(',') : null;
  const spots = positions(files, flag('--per-kind', 30), flag('--seed', 1)).filter((p) => !kinds || kinds.includes(p.kind));
  const show = rest.includes('--show');

  const { settings } = normalizeSettings({ temperature: 0, seed: 0, debounceMs: 0, maxNewTokens: 24 });
  const resolved = resolveModelSetting('', ROOT, manifest.localGpt.embeddedModel);
  if (!resolved.ok) throw new Error(resolved.error);
  const config = engineConfigFor(settings, { source: resolved.source, wasmPaths: path.join(ROOT, 'node_modules/onnxruntime-web/dist'), cacheDir: ROOT });
  // One worker per variant: a worker aligns a prompt to its own last request (replay), which would mix the two.
  const clients = [false, true].map(() => new WorkerClient(config, { createWorker: sourceWorker(path.join(ROOT, 'src', 'engine', 'worker.ts')), onEvent: () => undefined }));
  await Promise.all(clients.map((c) => c.ensureLoaded()));
  const withHealing = (client: WorkerClient, heal: boolean): CompletionEngine => ({
    complete: (prompt, options, token) => client.complete(prompt, { ...options, heal }, token),
    get capabilities() {
      return client.capabilities;
    },
    get contextLength() {
      return client.contextLength;
    },
  });
  const variants = {
    plain: new CompletionPipeline(withHealing(clients[0], false), () => settings),
    healed: new CompletionPipeline(withHealing(clients[1], true), () => settings),
  };
  const scores: Record<string, Record<string, { exact: number; similarity: number; empty: number; n: number }>> = {};
  try {
    for (const spot of spots) {
      for (const [name, pipeline] of Object.entries(variants)) {
        const result = await pipeline.complete({ text: spot.text, offset: spot.offset, languageId: 'typescript', relativePath: spot.file, documentKey: `${name}:${spot.file}:${spot.offset}` }, never);
        const firstLine = (result.kind === 'suggestion' ? result.text : '').split('\n')[0].trimEnd();
        const s = ((scores[spot.kind] ??= {})[name] ??= { exact: 0, similarity: 0, empty: 0, n: 0 });
        s.n++;
        s.exact += firstLine === spot.target ? 1 : 0;
        s.similarity += editSimilarity(firstLine, spot.target);
        s.empty += firstLine === '' ? 1 : 0;
        if (show) console.log(`${spot.kind} ${name.padEnd(6)} ${JSON.stringify(spot.text.slice(spot.offset - 30, spot.offset))} target ${JSON.stringify(spot.target)} got ${JSON.stringify(firstLine)}`);
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
  }
  console.log('| position kind | n | exact: plain | exact: healed | edit sim.: plain | edit sim.: healed | empty: plain | empty: healed |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  const pct = (x: number, n: number) => `${((100 * x) / n).toFixed(1)}%`;
  for (const [kind, v] of Object.entries(scores)) {
    const { plain: p, healed: h } = v;
    console.log(`| ${kind} | ${p.n} | ${pct(p.exact, p.n)} | ${pct(h.exact, h.n)} | ${pct(p.similarity, p.n)} | ${pct(h.similarity, h.n)} | ${pct(p.empty, p.n)} | ${pct(h.empty, h.n)} |`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
