import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { normalizeSettings, defaultSettings, MULTILINE_MODES, SETTING_SCHEMAS, RESTRICTED_SETTINGS, trustedValue, type Settings } from '../../../src/config/settings';
import { BACKEND_REQUESTS } from '../../../src/engine/protocol';

const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default: unknown; enum?: string[] }> } };
};

/** Reads a field by its setting key ('attention.maxTokens' -> settings.attention.maxTokens). */
function field(settings: Settings, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], settings);
}

describe('normalizeSettings', () => {
  it('gives every manifest default when nothing is set, with no warnings', () => {
    const { settings, warnings } = normalizeSettings({});
    assert.deepEqual(warnings, []);
    for (const [fullKey, schema] of Object.entries(manifest.contributes.configuration.properties)) {
      assert.deepEqual(field(settings, fullKey.slice('localGpt.'.length)), schema.default, fullKey);
    }
  });

  it('covers exactly the settings declared in package.json', () => {
    const declared = Object.keys(manifest.contributes.configuration.properties).map((k) => k.slice('localGpt.'.length));
    assert.deepEqual(Object.keys(SETTING_SCHEMAS).sort(), declared.sort());
    const flat = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? flat(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
    assert.deepEqual(flat(defaultSettings()).sort(), declared.sort());
  });

  it('offers in package.json exactly the enumerations the code handles', () => {
    const { properties } = manifest.contributes.configuration;
    assert.deepEqual(properties['localGpt.backend'].enum, [...BACKEND_REQUESTS]);
    assert.deepEqual(properties['localGpt.multiline'].enum, [...MULTILINE_MODES]);
  });

  it('matches the documented defaults', () => {
    assert.deepEqual(defaultSettings(), {
      enabled: true, model: '', remoteHost: 'https://huggingface.co/', allowDownloads: false, backend: 'auto',
      threads: 0, quantized: true, debounceMs: 75, maxNewTokens: 48, temperature: 0, topK: 40, topP: 0.95, beamWidth: 1,
      seed: -1, contextTokens: 384, suffixTokens: 64, multiline: 'auto', tokenHealing: true,
      attention: { maxTokens: 256, followCursor: true },
      workspace: { cache: true, retrieval: false },
    });
  });

  // [setting key, raw value, expected value, expected warning (substring) or null]
  const cases: Array<[string, unknown, unknown, string | null]> = [
    ['threads', 4, 4, null],
    ['threads', 64, 16, 'localGpt.threads: 64 is above the maximum 16; using 16.'],
    ['threads', -3, 0, 'localGpt.threads: -3 is below the minimum 0; using 0.'],
    ['threads', 2.6, 3, 'localGpt.threads: 2.6 is not a whole number; using 3.'],
    ['threads', '8', 0, 'localGpt.threads: "8" is not an integer; using the default 0.'],
    ['debounceMs', 0, 0, null],
    ['debounceMs', 5000, 2000, 'above the maximum 2000'],
    ['maxNewTokens', 0, 1, 'localGpt.maxNewTokens: 0 is below the minimum 1; using 1.'],
    ['maxNewTokens', 999, 256, 'above the maximum 256'],
    ['temperature', 0.7, 0.7, null],
    ['temperature', 3, 2, 'localGpt.temperature: 3 is above the maximum 2; using 2.'],
    ['temperature', Number.NaN, 0, 'localGpt.temperature: NaN is not a number; using the default 0.'],
    ['topK', 0, 0, null],
    ['topK', 5000, 1000, 'above the maximum 1000'],
    ['topP', 1.5, 1, 'localGpt.topP: 1.5 is above the maximum 1; using 1.'],
    ['topP', -0.1, 0, 'below the minimum 0'],
    ['seed', 1234, 1234, null],
    ['seed', -1, -1, null],
    ['seed', true, -1, 'localGpt.seed: true is not an integer'],
    ['contextTokens', 8, 32, 'localGpt.contextTokens: 8 is below the minimum 32; using 32.'],
    ['contextTokens', 4096, 2048, 'above the maximum 2048'],
    ['suffixTokens', 0, 0, null],
    ['suffixTokens', 2000, 1024, 'above the maximum 1024'],
    ['attention.maxTokens', 4, 16, 'localGpt.attention.maxTokens: 4 is below the minimum 16; using 16.'],
    ['attention.maxTokens', 4096, 1024, 'above the maximum 1024'],
    ['attention.followCursor', 'yes', true, 'localGpt.attention.followCursor: "yes" is not a boolean; using the default true.'],
    ['enabled', false, false, null],
    ['enabled', 0, true, 'localGpt.enabled: 0 is not a boolean'],
    ['quantized', false, false, null],
    ['allowDownloads', 'true', false, 'localGpt.allowDownloads: "true" is not a boolean; using the default false.'],
    ['backend', 'wasm', 'wasm', null],
    ['backend', 'native', 'native', null],
    ['backend', 'cuda', 'auto', 'localGpt.backend: "cuda" is not one of "auto", "native", "wasm"; using the default "auto".'],
    ['multiline', 'never', 'never', null],
    ['multiline', 'sometimes', 'auto', 'localGpt.multiline: "sometimes" is not one of'],
    ['model', '/abs/models/foo', '/abs/models/foo', null],
    ['model', '  Xenova/gpt2 ', 'Xenova/gpt2', null],
    ['model', 42, '', 'localGpt.model: 42 is not a string; using the default "".'],
    ['remoteHost', 'https://mirror.example.com/hf', 'https://mirror.example.com/hf/', null],
    ['remoteHost', 'not a url', 'https://huggingface.co/', 'localGpt.remoteHost: "not a url" is not a URL'],
    ['remoteHost', 'ftp://example.com/', 'https://huggingface.co/', 'is not an http(s) URL'],
    ['remoteHost', 'http://mirror.example.com/', 'https://huggingface.co/', 'localGpt.remoteHost: "http://mirror.example.com/" is plain http to another machine (only https, or http to this machine)'],
    ['remoteHost', 'http://127.0.0.1:8080', 'http://127.0.0.1:8080/', null],
  ];
  for (const [key, raw, expected, warning] of cases) {
    it(`${key} = ${typeof raw === 'string' ? JSON.stringify(raw) : String(raw)} -> ${JSON.stringify(expected)}${warning ? ' with a warning' : ''}`, () => {
      const { settings, warnings } = normalizeSettings({ [key]: raw });
      assert.deepEqual(field(settings, key), expected);
      if (warning === null) {
        assert.deepEqual(warnings, []);
      } else {
        assert.equal(warnings.length, 1, `one warning expected, got ${JSON.stringify(warnings)}`);
        assert.ok(warnings[0]!.includes(warning), `warning ${JSON.stringify(warnings[0])} should contain ${JSON.stringify(warning)}`);
      }
    });
  }

  it('reports every bad value at once and keeps the good ones', () => {
    const { settings, warnings } = normalizeSettings({ topK: -1, topP: 'high', debounceMs: 10, backend: 'gpu' });
    assert.equal(settings.debounceMs, 10);
    assert.equal(settings.topK, 0);
    assert.equal(settings.topP, 0.95);
    assert.equal(settings.backend, 'auto');
    assert.equal(warnings.length, 3, JSON.stringify(warnings));
  });

  it('warns about keys that are not settings, and never throws on odd input', () => {
    const { warnings } = normalizeSettings({ tempreature: 1 });
    assert.deepEqual(warnings, ['localGpt.tempreature is not a Local GPT setting; it is ignored.']);
    for (const odd of [{ enabled: {} }, { threads: [] }, { seed: Infinity }, { model: null }, { topK: 10n }]) {
      assert.doesNotThrow(() => normalizeSettings(odd as Record<string, unknown>));
    }
  });
});

describe('trustedValue (workspace trust)', () => {
  const inspected = { defaultValue: '', globalValue: '/home/me/models/mine', workspaceValue: '/repo/evil-model' };
  // [key, effective value, inspect(), trusted, expected value, workspace value ignored]
  const cases: Array<[string, unknown, object | undefined, boolean, unknown, boolean]> = [
    ['model', '/repo/evil-model', inspected, true, '/repo/evil-model', false],
    ['model', '/repo/evil-model', inspected, false, '/home/me/models/mine', true],
    ['model', '/repo/evil-model', { defaultValue: '', workspaceFolderValue: '/repo/evil-model' }, false, '', true],
    ['remoteHost', 'https://evil.example/', { defaultValue: 'https://huggingface.co/', workspaceValue: 'https://evil.example/' }, false, 'https://huggingface.co/', true],
    ['allowDownloads', true, { defaultValue: false, workspaceValue: true }, false, false, true],
    ['allowDownloads', true, { defaultValue: false, globalValue: true }, false, true, false],
    ['threads', 4, { defaultValue: 0, workspaceValue: 4 }, false, 4, false], // not restricted
  ];
  for (const [key, effective, insp, trusted, expected, ignored] of cases) {
    it(`${key}, ${trusted ? 'trusted' : 'untrusted'}: ${JSON.stringify(insp)} -> ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(trustedValue(key, effective, insp, trusted), { value: expected, ignoredWorkspaceValue: ignored });
    });
  }

  it('restricts exactly the settings named in package.json', () => {
    assert.deepEqual([...RESTRICTED_SETTINGS].sort(), ['allowDownloads', 'model', 'remoteHost']);
  });
});
