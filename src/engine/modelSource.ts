/**
 * The `localGpt.model` setting, resolved: the embedded model (empty setting), a local folder, or a
 * Hugging Face model id (`owner/name`, optionally `owner/name@revision`). The rule, in order:
 * - empty, or the embedded model's name: the embedded model;
 * - `~`, `~/…`, an absolute path, or a path starting with `./` or `../`: a folder (relative ones from the
 *   first workspace folder; without one, an error);
 * - a relative path that exists as a folder in the workspace (`models/my-model`): that folder;
 * - `owner/name[@revision]`: a Hugging Face id;
 * - anything else: an error that says so.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelSource } from './protocol';

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
const REVISION = /^[\w.-]+$/;

type Resolved = { ok: true; source: ModelSource } | { ok: false; error: string };

/** Where relative folders are looked up, and how. */
interface ModelSettingContext {
  /** The first workspace folder, or null without one. */
  workspaceRoot?: string | null;
  home?: string;
  isFolder?: (dir: string) => boolean;
}

const isFolder = (dir: string): boolean => {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
};

/**
 * @param setting the `localGpt.model` value (trimmed)
 * @param extensionRoot absolute folder of the extension (holds `models/<embedded>/`)
 * @param embeddedModel package.json `localGpt.embeddedModel`
 */
export function resolveModelSetting(setting: string, extensionRoot: string, embeddedModel: string, context: ModelSettingContext = {}): Resolved {
  const value = setting.trim();
  const home = context.home ?? os.homedir();
  const workspaceRoot = context.workspaceRoot ?? null;
  if (value === '' || value === embeddedModel) {
    return { ok: true, source: { kind: 'embedded', name: embeddedModel, dir: path.join(extensionRoot, 'models', embeddedModel) } };
  }
  if (value === '~' || value.startsWith('~/')) return { ok: true, source: { kind: 'local', dir: path.join(home, value.slice(1)) } };
  if (path.isAbsolute(value) || /^[A-Za-z]:[\\/]/.test(value)) return { ok: true, source: { kind: 'local', dir: path.normalize(value) } };
  if (/^\.\.?[\\/]/.test(value)) {
    if (!workspaceRoot) {
      return { ok: false, error: `localGpt.model: ${JSON.stringify(value)} is a folder relative to the workspace, and no workspace folder is open. Use an absolute path.` };
    }
    return { ok: true, source: { kind: 'local', dir: path.resolve(workspaceRoot, value) } };
  }
  if (workspaceRoot && (context.isFolder ?? isFolder)(path.resolve(workspaceRoot, value))) {
    return { ok: true, source: { kind: 'local', dir: path.resolve(workspaceRoot, value) } };
  }
  const [id, revision = 'main', ...rest] = value.split('@');
  if (rest.length === 0 && isHubId(id, revision)) {
    return { ok: true, source: { kind: 'hub', id, revision } };
  }
  return {
    ok: false,
    error:
      `localGpt.model: ${JSON.stringify(value)} is neither a folder (absolute, ./relative to the workspace, or an existing ` +
      'workspace folder) nor a Hugging Face model id (owner/name). Leave it empty for the embedded model.',
  };
}

/** A Hub id and revision that are safe as one folder name (no `..`, one `/`). */
export function isHubId(id: string, revision: string): boolean {
  return HUB_ID.test(id) && !id.includes('..') && REVISION.test(revision) && revision !== '.' && revision !== '..';
}

/**
 * Folder of a downloaded Hub model inside the cache (one per id and revision). Throws for an id that
 * is not `owner/name` (e.g. `a/../../x` from a malformed request), so no path leaves the cache.
 */
export function hubModelDir(cacheDir: string, id: string, revision: string): string {
  if (!isHubId(id, revision)) throw new Error(`${JSON.stringify(id)}@${JSON.stringify(revision)} is not a Hugging Face model id (owner/name[@revision])`);
  return path.join(cacheDir, 'models', `${id.replace('/', '--')}@${revision}`);
}

/** A short name for messages and the status bar. */
export function sourceName(source: ModelSource): string {
  switch (source.kind) {
    case 'embedded':
      return source.name;
    case 'local':
      return path.basename(source.dir);
    case 'hub':
      return source.revision === 'main' ? source.id : `${source.id}@${source.revision}`;
  }
}
