/**
 * The `localGpt.model` setting, resolved: the embedded model (empty setting), an absolute local
 * folder, or a Hugging Face model id (`owner/name`, optionally `owner/name@revision`).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelSource } from './protocol';

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
const REVISION = /^[\w.-]+$/;

export type Resolved = { ok: true; source: ModelSource } | { ok: false; error: string };

/**
 * @param setting the `localGpt.model` value (trimmed)
 * @param extensionRoot absolute folder of the extension (holds `models/<embedded>/`)
 * @param embeddedModel package.json `localGpt.embeddedModel`
 */
export function resolveModelSetting(setting: string, extensionRoot: string, embeddedModel: string, home = os.homedir()): Resolved {
  const value = setting.trim();
  if (value === '' || value === embeddedModel) {
    return { ok: true, source: { kind: 'embedded', name: embeddedModel, dir: path.join(extensionRoot, 'models', embeddedModel) } };
  }
  if (value === '~' || value.startsWith('~/')) return { ok: true, source: { kind: 'local', dir: path.join(home, value.slice(1)) } };
  if (path.isAbsolute(value) || /^[A-Za-z]:[\\/]/.test(value)) return { ok: true, source: { kind: 'local', dir: path.normalize(value) } };
  const [id, revision = 'main', ...rest] = value.split('@');
  if (rest.length === 0 && isHubId(id, revision)) {
    return { ok: true, source: { kind: 'hub', id, revision } };
  }
  return {
    ok: false,
    error:
      `localGpt.model: ${JSON.stringify(value)} is neither an absolute folder nor a Hugging Face model id (owner/name). ` +
      'Leave it empty for the embedded model.',
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
