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

/** Resolves once `predicate` holds, polling every 50 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
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

/**
 * Gets a completion from the model through the real inline completion path: opens a TypeScript
 * document at a few code spots (a unique first line keeps the completion cache out of it), runs
 * "Local GPT: Trigger Completion", waits until the provider hands VS Code a completion that the
 * model produced (not a cache hit), accepts it and returns the inserted text. A real model may have
 * nothing to say at one spot, so the next is tried; throws when none gives a completion.
 */
export async function completionFromModel(api: LocalGptApi, label: string, timeoutMs = 20_000): Promise<string> {
  const spots = [
    'function add(a: number, b: number) {\n  return a + b;\n}\n\nconst total = ',
    'export function greet(name: string): string {\n  return ',
    'for (let i = 0; i < 10; i++) {\n  console.',
  ];
  const counts = api.completions.counts;
  for (const spot of spots) {
    const content = `// ${label} ${Date.now()}\n${spot}`;
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
    const editor = await vscode.window.showTextDocument(doc);
    try {
      const end = doc.lineAt(doc.lineCount - 1).range.end;
      editor.selection = new vscode.Selection(end, end);
      const before = counts.model;
      await vscode.commands.executeCommand('localGpt.triggerCompletion');
      try {
        await waitFor(() => counts.model > before, `a completion from the model (${label})`, timeoutMs);
        await waitFor(
          async () => {
            await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
            return doc.getText() !== content;
          },
          'the inline suggestion to be accepted',
          5000,
        );
      } catch {
        console.log(`      (${label}) no completion at ${JSON.stringify(spot.slice(-16))}; next spot`);
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
