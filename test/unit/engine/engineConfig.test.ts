import { strict as assert } from 'node:assert';
import { normalizeSettings } from '../../../src/config/settings';
import { engineConfigFor } from '../../../src/engine/engineConfig';

describe('engineConfigFor', () => {
  it('starts the worker with the backend and threads of the settings and loads the resolved model as they say', () => {
    const { settings } = normalizeSettings({ backend: 'wasm', threads: 3, quantized: false, allowDownloads: true, remoteHost: 'https://mirror.example/' });
    const config = engineConfigFor(settings, { source: { kind: 'local', dir: '/models/m' }, wasmPaths: '/ext/dist/wasm', cacheDir: '/storage' });
    assert.deepEqual(config, {
      start: { backend: 'wasm', threads: 3, wasmPaths: '/ext/dist/wasm' },
      load: { source: { kind: 'local', dir: '/models/m' }, quantized: false, cacheDir: '/storage', allowDownloads: true, remoteHost: 'https://mirror.example/' },
    });
  });
});
