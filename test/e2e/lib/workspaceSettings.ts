import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeServer } from '../../harness/codeServer';

/**
 * Edits the workspace's .vscode/settings.json (undefined removes a key): the file watcher applies it
 * at once (an edit of the user settings file on disk is not picked up by the web workbench).
 */
export function setWorkspaceSettings(server: CodeServer, values: Record<string, unknown>): void {
  const file = path.join(server.workspace, '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const settings = (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete settings[key];
    else settings[key] = value;
  }
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
}

/**
 * Extension settings named without `localGpt.` (as src/config/settings.ts names them) as workspace settings
 * keys; with `remove`, each key's value is undefined, which setWorkspaceSettings removes.
 */
export function localGptSettings(values: Readonly<Record<string, unknown>>, options: { remove?: boolean } = {}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`localGpt.${key}`, options.remove ? undefined : value]));
}
