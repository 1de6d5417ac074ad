/**
 * A workspace folder on disk as a WorkspaceSource, for the headless CLI and the evaluation
 * (`--workspace DIR`): source files under the folder, in path order, skipping dependency, build and
 * hidden folders. Documents the caller holds in memory (the edited buffer) take precedence over disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WorkspaceSource } from './indexer';
import { languageOfPath } from './languages';
import type { SnippetFile } from './snippetIndex';

/** Folders never listed: dependencies, build output, version control. */
export const SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['node_modules', 'dist', 'out', 'build', 'coverage', 'target', 'vendor', '__pycache__']);

export class FsWorkspaceSource implements WorkspaceSource {
  /** Texts that replace the file on disk (key: absolute path). */
  readonly buffers = new Map<string, string>();

  constructor(
    readonly root: string,
    private readonly maxFiles = 20_000,
  ) {
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`--workspace ${root}: not a folder`);
  }

  /** The path shown in prompts: relative to the root, `/` separators. */
  relativePath(file: string): string {
    return path.relative(this.root, file).split(path.sep).join('/');
  }

  async listFiles(): Promise<SnippetFile[]> {
    const out: SnippetFile[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await fs.promises.readdir(dir, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        if (out.length >= this.maxFiles) return;
        if (e.name.startsWith('.')) continue;
        const full = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (!SKIPPED_FOLDERS.has(e.name)) await walk(full);
        } else if (e.isFile()) {
          const languageId = languageOfPath(e.name);
          if (languageId) out.push({ key: full, relativePath: this.relativePath(full), languageId });
        }
      }
    };
    await walk(this.root);
    return out;
  }

  async read(key: string): Promise<string | null> {
    const buffer = this.buffers.get(key);
    if (buffer !== undefined) return buffer;
    try {
      return await fs.promises.readFile(key, 'utf8');
    } catch {
      return null;
    }
  }
}
