/**
 * The VS Code workspace as a WorkspaceSource (src/workspace/indexer.ts): open documents first, then
 * recently edited files, then the workspace's other source files (`workspace.findFiles`, dependency
 * and build folders excluded). An open document is read from its buffer, any other file from disk.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { SKIPPED_FOLDERS } from '../workspace/fsSource';
import type { WorkspaceSource } from '../workspace/indexer';
import { LANGUAGE_BY_EXTENSION, languageOfPath } from '../workspace/languages';
import type { SnippetFile } from '../workspace/snippetIndex';

/** Documents the workspace features follow: files and unsaved buffers (not output channels, git views, settings). */
export function isTrackedDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled';
}

export class VscodeWorkspaceSource implements WorkspaceSource {
  constructor(
    /** Keys (URI strings) of files edited in this session, most recent first. */
    private readonly recentlyEdited: () => readonly string[],
    private readonly maxFiles: number,
  ) {}

  async listFiles(): Promise<SnippetFile[]> {
    const out = new Map<string, SnippetFile>();
    const add = (uri: vscode.Uri, languageId: string | null) => {
      const key = uri.toString();
      if (languageId && !out.has(key) && out.size < this.maxFiles) out.set(key, { key, relativePath: vscode.workspace.asRelativePath(uri, false), languageId });
    };
    for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === 'file') add(doc.uri, doc.languageId);
    for (const key of this.recentlyEdited()) {
      const uri = vscode.Uri.parse(key);
      if (uri.scheme === 'file') add(uri, languageOfPath(uri.path));
    }
    const extensions = Object.keys(LANGUAGE_BY_EXTENSION).map((e) => e.slice(1)).join(',');
    const excluded = `**/{${[...SKIPPED_FOLDERS, '.*'].join(',')}}/**`;
    for (const uri of await vscode.workspace.findFiles(`**/*.{${extensions}}`, excluded, this.maxFiles)) add(uri, languageOfPath(uri.path));
    return [...out.values()];
  }

  async read(key: string): Promise<string | null> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (open) return open.getText();
    try {
      const uri = vscode.Uri.parse(key);
      // A local file is read directly: no round trip through the file system provider while a request waits.
      if (uri.scheme === 'file') return await fs.promises.readFile(uri.fsPath, 'utf8');
      return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return null;
    }
  }
}
