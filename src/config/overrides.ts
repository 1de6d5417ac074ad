// Setting overrides written as `localGpt.<key>=<value>` (command lines of the headless CLI and the
// editor-path evaluation). Parsed against the manifest's schemas, so a setting that does not exist
// (yet) is an error that names it, never an override silently ignored.
import { SECTION, SETTING_SCHEMAS } from './settings';

/** Raw values keyed like `normalizeSettings` wants them (below `localGpt.`). */
export type SettingOverrides = Record<string, unknown>;

/** The value of `text` for `key`, typed by its schema; throws naming the setting when it does not fit. */
function parseSettingValue(key: string, text: string): unknown {
  const schema = SETTING_SCHEMAS[key];
  if (!schema) throw new Error(unknownSetting(key));
  const name = `${SECTION}.${key}`;
  switch (schema.type) {
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new Error(`${name} is a boolean: expected true or false, got ${JSON.stringify(text)}`);
    case 'integer':
    case 'number': {
      const n = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(n) || (schema.type === 'integer' && !Number.isInteger(n))) {
        throw new Error(`${name} is ${schema.type === 'integer' ? 'an integer' : 'a number'}: got ${JSON.stringify(text)}`);
      }
      return n;
    }
    case 'string':
      if (schema.enum && !schema.enum.includes(text)) {
        throw new Error(`${name} is one of ${schema.enum.join(', ')}: got ${JSON.stringify(text)}`);
      }
      return text;
  }
}

/** `localGpt.temperature=0` (or `temperature=0`) -> ['temperature', 0]. */
export function parseSettingAssignment(spec: string): [string, unknown] {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`expected localGpt.<setting>=<value>, got ${JSON.stringify(spec)}`);
  const full = spec.slice(0, eq).trim();
  const key = full.startsWith(`${SECTION}.`) ? full.slice(SECTION.length + 1) : full;
  return [key, parseSettingValue(key, spec.slice(eq + 1))];
}

/** Several assignments; a later one for the same setting wins. */
export function parseSettingAssignments(specs: readonly string[]): SettingOverrides {
  return Object.fromEntries(specs.map(parseSettingAssignment));
}

/** Checks that every key of `overrides` is a declared setting (values are checked by `normalizeSettings`). */
export function assertKnownSettings(overrides: SettingOverrides, what: string): void {
  for (const key of Object.keys(overrides)) {
    if (!(key in SETTING_SCHEMAS)) throw new Error(`${what}: ${unknownSetting(key)}`);
  }
}

function unknownSetting(key: string): string {
  return `${SECTION}.${key} is not a Local GPT setting (package.json contributes.configuration declares: ${Object.keys(SETTING_SCHEMAS).join(', ')})`;
}
