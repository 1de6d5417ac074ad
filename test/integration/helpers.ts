// Shared helpers for integration tests (run inside the extension host).
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { LocalGptApi } from '../../src/extension/extension';
import type { WorkerClientOptions } from '../../src/engine/workerClient';
import { bundledWorker, WORKER_HEAP_LIMIT_MB } from '../../src/engine/workerFactory';
import { faultWorkerBundle } from '../harness/faultStats';

export const EXTENSION_ID = 'local-gpt.local-gpt';

/** Activates the extension (if the host has not yet) and returns its API (see src/extension/services.ts). */
export async function activateExtension(): Promise<LocalGptApi> {
  const ext = vscode.extensions.getExtension<LocalGptApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded in this host`);
  return ext.activate();
}

/**
 * Switches the extension's engine to the fault-injecting worker (dist/faultWorker.js, test builds only:
 * test/harness/faultWorker.ts) with this heap limit and these timings; the worker restarts on the next
 * request. Every other test runs the production worker with the production settings, so call the
 * returned function (in `after`) to switch back.
 */
export function useFaultWorker(
  api: LocalGptApi,
  opts: { heapLimitMb?: number; timings?: Omit<Partial<WorkerClientOptions>, 'createWorker' | 'onEvent'> } = {},
): () => void {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  const createWorker = bundledWorker(faultWorkerBundle(ext.extensionPath), opts.heapLimitMb ?? WORKER_HEAP_LIMIT_MB);
  const before = api.completions.engine.replaceOptions({ createWorker, ...opts.timings });
  return () => void api.completions.engine.replaceOptions(before);
}

/**
 * Resolves once `predicate` holds, polling every 50 ms; rejects with `what` after `timeoutMs`. The
 * timeout only guards against a hang: a wait ends when its condition holds, so it can be generous (the
 * CI machine is shared and at times heavily loaded). The default stays under mocha's 30 s per test
 * (test/integration/index.ts), so a wait that never ends names what it waited for.
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Opens a file of the test workspace (a temp copy of test/fixtures/workspace) in an editor. */
export async function openWorkspaceFile(relativePath: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder open');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, relativePath));
  return vscode.window.showTextDocument(doc);
}

/** Requests so far by how they ended: suggestions by source, the others by reason. */
const outcomeCounts = (api: LocalGptApi): Record<string, number> => ({ ...api.completions.counts, ...api.completions.noSuggestion });

/** Outcomes that end a request for good (not superseded by a newer request), grown since `before`. */
const settledSince = (api: LocalGptApi, before: Record<string, number>): string[] =>
  Object.entries(outcomeCounts(api)).filter(([key, n]) => key !== 'debounced' && key !== 'cancelled' && n > before[key]).map(([key]) => key);

/**
 * Runs "Local GPT: Trigger Completion" at the active editor's cursor and waits until a request ends for
 * good: a suggestion (`model`, `cache`) or a reason there is none (`empty`, `error`, ...). Returns how it
 * ended. However long the model takes on a busy machine, the wait is for that event; `timeoutMs` only
 * guards against a hang.
 */
export async function triggerAndSettle(api: LocalGptApi, what: string, timeoutMs = 120_000): Promise<string[]> {
  const before = outcomeCounts(api);
  await vscode.commands.executeCommand('localGpt.triggerCompletion');
  await waitFor(() => settledSince(api, before).length > 0, what, timeoutMs);
  return settledSince(api, before);
}

/**
 * Accepts the inline suggestion once VS Code shows it (commit is a no-op before that), `before` being the
 * document's text until then; false when none was shown to accept.
 */
export async function acceptShownSuggestion(doc: vscode.TextDocument, before: string): Promise<boolean> {
  try {
    await waitFor(
      async () => {
        await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
        return doc.getText() !== before;
      },
      'the inline suggestion to be accepted',
      30_000,
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Gets a completion from the model through the real inline completion path: opens a TypeScript
 * document at a few code spots (a unique first line keeps the completion cache out of it), runs
 * "Local GPT: Trigger Completion", waits until the request ends, and when the model produced a
 * completion (not a cache hit) accepts it and returns the inserted text. A real model may have
 * nothing to say at one spot, so the next is tried; throws when none gives a completion.
 * `timeoutMs` guards each request against a hang: the wait ends when the request does, not at a time.
 */
export async function completionFromModel(api: LocalGptApi, label: string, timeoutMs = 120_000): Promise<string> {
  const spots = [
    'function add(a: number, b: number) {\n  return a + b;\n}\n\nconst total = ',
    'export function greet(name: string): string {\n  return ',
    'for (let i = 0; i < 10; i++) {\n  console.',
  ];
  for (const spot of spots) {
    const content = `// ${label} ${Date.now()}\n${spot}`;
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
    const editor = await vscode.window.showTextDocument(doc);
    try {
      const end = doc.lineAt(doc.lineCount - 1).range.end;
      editor.selection = new vscode.Selection(end, end);
      const ended = await triggerAndSettle(api, `the completion request (${label})`, timeoutMs);
      if (!ended.includes('model')) {
        console.log(`      (${label}) no completion from the model at ${JSON.stringify(spot.slice(-16))} (${ended.join(', ')}); next spot`);
        continue;
      }
      if (!(await acceptShownSuggestion(doc, content))) {
        console.log(`      (${label}) the completion at ${JSON.stringify(spot.slice(-16))} was not shown to accept; next spot`);
        continue;
      }
      assert.ok(doc.getText().startsWith(content), 'the completion is inserted at the cursor');
      // The accepted item's command (recording it for Explain Attention) runs after the edit:
      // closing the editor under it would log "Model is disposed" in the workbench.
      await new Promise((r) => setTimeout(r, 500));
      return doc.getText().slice(content.length);
    } finally {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  }
  throw new Error(`(${label}) no completion from the model at any spot`);
}
