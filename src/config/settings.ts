// User settings of Local GPT: types, defaults and validation. Plain TypeScript (no `vscode`), so the
// rules are unit-tested in Node and applied the same way in the extension host.
//
// The manifest (package.json `contributes.configuration`) is the single source of truth: defaults,
// types, enums and minimum/maximum are read from it here, so a changed default needs one edit.
import { isLoopbackHost } from './hosts';
import type { BackendRequest } from '../engine/protocol';
import manifest from '../../package.json';

export const SECTION = 'localGpt';

/** `localGpt.backend`: the worker's `BackendRequest` (a unit test checks the manifest's enum against `BACKEND_REQUESTS`). */
type Backend = BackendRequest;
/** `localGpt.multiline` (a unit test checks the manifest's enum against this). */
export const MULTILINE_MODES = ['auto', 'always', 'never'] as const;
type Multiline = (typeof MULTILINE_MODES)[number];

export interface Settings {
  enabled: boolean;
  /** '' = embedded model; an absolute folder (HF layout); or a Hugging Face model id. */
  model: string;
  /** Base URL for model downloads, always ends with '/'. */
  remoteHost: string;
  allowDownloads: boolean;
  backend: Backend;
  /** 0 = auto. */
  threads: number;
  quantized: boolean;
  debounceMs: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  /** Beams of beam search; 1 = off (sampling or greedy by temperature). */
  beamWidth: number;
  /** -1 = random. */
  seed: number;
  /** Prefix budget, tokens. */
  contextTokens: number;
  /** Suffix budget, tokens. */
  suffixTokens: number;
  multiline: Multiline;
  /** Back off to a token boundary at the cursor and spell the removed text first (src/engine/tokenBoundary.ts). */
  tokenHealing: boolean;
  attention: {
    /** Window cap of the attention panel, tokens. */
    maxTokens: number;
    followCursor: boolean;
  };
  workspace: {
    /** The copy model (src/engine/cacheMixer.ts). */
    cache: boolean;
    /** Snippets of other files in the prompt (src/workspace/). */
    retrieval: boolean;
  };
}

/** One setting's schema as declared in package.json (the subset we validate). */
interface SettingSchema {
  type: 'boolean' | 'string' | 'integer' | 'number';
  default: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
}

/** Schemas keyed by the name below `localGpt.` (e.g. `attention.maxTokens`). */
export const SETTING_SCHEMAS: Readonly<Record<string, SettingSchema>> = Object.fromEntries(
  Object.entries(manifest.contributes.configuration.properties as Record<string, SettingSchema>).map(
    ([key, schema]) => [key.slice(SECTION.length + 1), schema],
  ),
);

/** Settings an untrusted workspace may not set (package.json `capabilities.untrustedWorkspaces.restrictedConfigurations`). */
export const RESTRICTED_SETTINGS: ReadonlySet<string> = new Set(
  manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.map((k) => k.slice(SECTION.length + 1)),
);

/** The parts of `WorkspaceConfiguration.inspect()` that decide a value. */
interface InspectedSetting {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * The raw value of one setting, honouring workspace trust: in an untrusted workspace a restricted setting
 * takes only the user (global) value or the default, so a cloned repository cannot choose the model, the
 * download host or turn downloads on. `ignoredWorkspaceValue` says a workspace value was dropped.
 */
export function trustedValue(
  key: string,
  effective: unknown,
  inspected: InspectedSetting | undefined,
  trusted: boolean,
): { value: unknown; ignoredWorkspaceValue: boolean } {
  if (trusted || !RESTRICTED_SETTINGS.has(key)) return { value: effective, ignoredWorkspaceValue: false };
  const ignoredWorkspaceValue = inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
  return { value: inspected?.globalValue ?? inspected?.defaultValue, ignoredWorkspaceValue };
}

interface NormalizedSettings {
  settings: Settings;
  /** One message per value that was replaced or adjusted, naming the setting. */
  warnings: string[];
}

/**
 * Validates raw configuration values (keys relative to `localGpt.`, e.g. `topK`, `attention.maxTokens`;
 * missing keys take their default). Never throws: a value of the wrong type is replaced by the default,
 * an out-of-range number is clamped, a fractional integer is rounded, and each fix is reported.
 */
export function normalizeSettings(raw: Record<string, unknown>): NormalizedSettings {
  const warnings: string[] = [];
  const fullName = (key: string) => `${SECTION}.${key}`;
  const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

  for (const key of Object.keys(raw)) {
    if (!(key in SETTING_SCHEMAS) && raw[key] !== undefined) {
      warnings.push(`${fullName(key)} is not a Local GPT setting; it is ignored.`);
    }
  }

  const value = (key: string): unknown => {
    const schema = SETTING_SCHEMAS[key];
    if (!schema) throw new Error(`internal: setting ${fullName(key)} is missing from package.json`);
    const v = raw[key];
    if (v === undefined || v === null) return schema.default;
    const wrongType = () => {
      warnings.push(`${fullName(key)}: ${show(v)} is not ${schema.type === 'integer' ? 'an' : 'a'} ${schema.type}; using the default ${show(schema.default)}.`);
      return schema.default;
    };
    switch (schema.type) {
      case 'boolean':
        return typeof v === 'boolean' ? v : wrongType();
      case 'string':
        if (typeof v !== 'string') return wrongType();
        if (schema.enum && !schema.enum.includes(v)) {
          warnings.push(
            `${fullName(key)}: ${show(v)} is not one of ${schema.enum.map(show).join(', ')}; using the default ${show(schema.default)}.`,
          );
          return schema.default;
        }
        return v;
      case 'integer':
      case 'number': {
        if (typeof v !== 'number' || !Number.isFinite(v)) return wrongType();
        let n = v;
        if (schema.type === 'integer' && !Number.isInteger(n)) {
          n = Math.round(n);
          warnings.push(`${fullName(key)}: ${v} is not a whole number; using ${n}.`);
        }
        if (schema.minimum !== undefined && n < schema.minimum) {
          warnings.push(`${fullName(key)}: ${n} is below the minimum ${schema.minimum}; using ${schema.minimum}.`);
          n = schema.minimum;
        } else if (schema.maximum !== undefined && n > schema.maximum) {
          warnings.push(`${fullName(key)}: ${n} is above the maximum ${schema.maximum}; using ${schema.maximum}.`);
          n = schema.maximum;
        }
        return n;
      }
    }
  };
  // The casts are safe: `value` returns only values of the manifest's declared type (or its default).
  const bool = (key: string) => value(key) as boolean;
  const num = (key: string) => value(key) as number;
  const str = (key: string) => value(key) as string;

  const settings: Settings = {
    enabled: bool('enabled'),
    model: str('model').trim(),
    remoteHost: normalizeHost(str('remoteHost'), warnings),
    allowDownloads: bool('allowDownloads'),
    backend: str('backend') as Backend,
    threads: num('threads'),
    quantized: bool('quantized'),
    debounceMs: num('debounceMs'),
    maxNewTokens: num('maxNewTokens'),
    temperature: num('temperature'),
    topK: num('topK'),
    topP: num('topP'),
    beamWidth: num('beamWidth'),
    seed: num('seed'),
    contextTokens: num('contextTokens'),
    suffixTokens: num('suffixTokens'),
    multiline: str('multiline') as Multiline,
    tokenHealing: bool('tokenHealing'),
    attention: {
      maxTokens: num('attention.maxTokens'),
      followCursor: bool('attention.followCursor'),
    },
    workspace: {
      cache: bool('workspace.cache'),
      retrieval: bool('workspace.retrieval'),
    },
  };
  return { settings, warnings };
}

/** The defaults, as declared in package.json. */
export function defaultSettings(): Settings {
  return normalizeSettings({}).settings;
}

function normalizeHost(host: string, warnings: string[]): string {
  const fallback = SETTING_SCHEMAS['remoteHost']!.default as string;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    warnings.push(`${SECTION}.remoteHost: ${JSON.stringify(host)} is not a URL; using the default ${JSON.stringify(fallback)}.`);
    return fallback;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    warnings.push(`${SECTION}.remoteHost: ${JSON.stringify(host)} is not an http(s) URL; using the default ${JSON.stringify(fallback)}.`);
    return fallback;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    warnings.push(`${SECTION}.remoteHost: ${JSON.stringify(host)} is plain http to another machine (only https, or http to this machine); using the default ${JSON.stringify(fallback)}.`);
    return fallback;
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}
