/**
 * `--only workspace`: indexing a 5,000-file workspace for retrieval, as the extension host does it
 * (src/workspace/indexer.ts over a folder source), measured for what the user feels: the host's
 * event-loop lag while indexing runs (against the same machine idle for as long, since other
 * processes also delay timers), the index's accounted memory against its stated cap, the heap it
 * took, and the time of one retrieval query over the full index. Reported, never asserted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { FsWorkspaceSource } from '../../src/workspace/fsSource';
import { WorkspaceIndexer } from '../../src/workspace/indexer';
import { SNIPPET_INDEX_CAP_BYTES, SnippetIndex } from '../../src/workspace/snippetIndex';
import { retrievalQuery, WorkspaceContext } from '../../src/workspace/workspaceContext';
import { syntheticFile } from '../lib/syntheticWorkspace';
import { summarize } from '../lib/stats';
import type { LagSummary, WorkspaceResults } from '../lib/types';

const lagOf = (h: IntervalHistogram): LagSummary => ({ p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, samples: h.count });

export async function measureWorkspace(options: { files: number; queries: number; log: (line: string) => void }): Promise<WorkspaceResults> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgpt-bench-ws-'));
  try {
    let chars = 0;
    for (let i = 0; i < options.files; i++) {
      const f = syntheticFile(i);
      fs.mkdirSync(path.dirname(path.join(dir, f.relativePath)), { recursive: true });
      fs.writeFileSync(path.join(dir, f.relativePath), f.text);
      chars += f.text.length;
    }
    options.log(`   ${options.files} files, ${(chars / 2 ** 20).toFixed(1)} MiB of text written to ${dir}`);

    const heapBefore = process.memoryUsage().heapUsed;
    const index = new SnippetIndex();
    const source = new FsWorkspaceSource(dir);
    const busy = monitorEventLoopDelay({ resolution: 1 });
    busy.enable();
    const started = performance.now();
    const report = await new WorkspaceIndexer(index, source).indexAll();
    const indexMs = performance.now() - started;
    busy.disable();
    const heapAfter = process.memoryUsage().heapUsed;

    // The same machine, idle for as long: the lag other processes cause on their own.
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((resolve) => setTimeout(resolve, Math.min(indexMs, 30_000)));
    idle.disable();

    const context = new WorkspaceContext(index, source, null);
    const queryMs: number[] = [];
    let hits = 0;
    for (let q = 0; q < options.queries; q++) {
      // A file the index has not seen, written from the same vocabulary: the lines before a cursor.
      const lines = syntheticFile(options.files + q).text.split('\n');
      const at = 20 + ((q * 37) % (lines.length - 20));
      const queryText = retrievalQuery(lines.slice(0, at).join('\n'));
      const t = performance.now();
      hits += context.findSnippets({ documentKey: 'bench://current', languageId: 'typescript', queryText }).length;
      queryMs.push(performance.now() - t);
    }
    const result: WorkspaceResults = {
      files: options.files,
      textMiB: chars / 2 ** 20,
      indexed: report.indexed,
      full: report.full,
      slices: report.slices,
      indexMs,
      eventLoopLagMs: { idle: lagOf(idle), indexing: lagOf(busy) },
      memory: { accountedMiB: index.memoryBytes / 2 ** 20, capMiB: SNIPPET_INDEX_CAP_BYTES / 2 ** 20, heapGrowthMiB: (heapAfter - heapBefore) / 2 ** 20 },
      queryMs: summarize(queryMs),
      hitsPerQuery: hits / Math.max(1, options.queries),
    };
    options.log(
      `   indexed ${report.indexed} files in ${(indexMs / 1000).toFixed(1)} s (${report.slices} slices); event-loop lag p99 ${result.eventLoopLagMs.indexing.p99.toFixed(1)} ms ` +
        `(idle ${result.eventLoopLagMs.idle.p99.toFixed(1)} ms), max ${result.eventLoopLagMs.indexing.max.toFixed(1)} ms; index ${result.memory.accountedMiB.toFixed(1)} MiB of ${result.memory.capMiB} MiB ` +
        `(heap +${result.memory.heapGrowthMiB.toFixed(1)} MiB); query median ${result.queryMs.median.toFixed(1)} ms`,
    );
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
