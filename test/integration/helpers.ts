// Shared helpers for integration tests (run inside the extension host).
import * as vscode from 'vscode';
import type { LocalGptApi } from '../../src/extension/services';

export const EXTENSION_ID = 'local-gpt.local-gpt';

/** Activates the extension (if the host has not yet) and returns its API (see src/extension/services.ts). */
export async function activateExtension(): Promise<LocalGptApi> {
  const ext = vscode.extensions.getExtension<LocalGptApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded in this host`);
  return ext.activate();
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
