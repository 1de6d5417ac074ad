/**
 * Hub downloads against a loopback HTTP server that serves a model folder the way the Hub does
 * (`/<owner>/<name>/resolve/<revision>/<file>`), with switches for 404, 500, a connection cut in
 * the middle of a file, and a slow file to cancel.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { mock } from 'node:test';
import { DownloadError, ensureHubModel, fileUrl, refusedUrl, type DownloadProgress, type HubModelRequest } from '../../../src/engine/download';
import { inspectModelFolder } from '../../../src/engine/modelFolder';
import { hubModelDir } from '../../../src/engine/modelSource';
import { tinyGpt2 } from './fixtures/tinyModels';

/** The real timer, for the test's own polling while the download runs on fake timers. */
const realSetTimeout = globalThis.setTimeout;

type Fault = { kind: 'status'; file: string; status: number } | { kind: 'cut'; file: string } | { kind: 'stall'; file: string };

describe('engine/download (loopback Hub)', function () {
  this.timeout(20000);
  let server: http.Server;
  let host: string;
  let fault: Fault | null = null;
  const requests: string[] = [];
  const source = tinyGpt2().dir;

  before(async () => {
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      requests.push(url);
      // Redirects: to the same host (followed), or to the same server under another host name (refused).
      const moved = /^\/acme\/(moved|away)\/resolve\/main\/(.+)$/.exec(url);
      if (moved) {
        const port = (server.address() as AddressInfo).port;
        const to = `/acme/tiny-gpt2/resolve/main/${moved[2]}`;
        res.writeHead(302, { location: moved[1] === 'moved' ? to : `http://localhost:${port}${to}` }).end();
        return;
      }
      const m = /^\/acme\/tiny-gpt2\/resolve\/main\/(.+)$/.exec(url);
      const file = m ? decodeURIComponent(m[1]) : '';
      const full = path.join(source, file);
      if (!m || !fs.existsSync(full)) {
        res.writeHead(404).end('Entry not found');
        return;
      }
      const body = fs.readFileSync(full);
      if (fault?.file === file && fault.kind === 'status') {
        res.writeHead(fault.status, http.STATUS_CODES[fault.status]).end('nope');
        return;
      }
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      if (fault?.file === file && fault.kind === 'cut') {
        res.write(body.subarray(0, body.length >> 1), () => res.destroy());
        return;
      }
      if (fault?.file === file && fault.kind === 'stall') {
        res.write(body.subarray(0, 100)); // and never the rest
        return;
      }
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fault = null;
    requests.length = 0;
  });

  const made: string[] = [];
  const cacheDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-gpt-cache-'));
    made.push(dir);
    return dir;
  };
  const request = (dir: string, extra: Partial<HubModelRequest> = {}): HubModelRequest => ({
    id: 'acme/tiny-gpt2',
    revision: 'main',
    remoteHost: host,
    cacheDir: dir,
    quantized: false,
    allowDownloads: true,
    progressIntervalMs: 0,
    ...extra,
  });
  /** Nothing but complete model folders under the cache: no temp leftovers. */
  const leftovers = (dir: string) => (fs.existsSync(path.join(dir, 'tmp')) ? fs.readdirSync(path.join(dir, 'tmp')) : []);
  const rejectsWith = async (p: Promise<unknown>, code: string, message: RegExp) => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof DownloadError, String(e));
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    });
  };

  it('only https to remoteHost (and its subdomains), plain http only to this machine', () => {
    assert.equal(refusedUrl('https://huggingface.co/a/b/resolve/main/x', 'https://huggingface.co/'), null);
    assert.equal(refusedUrl('https://cdn-lfs.huggingface.co/x', 'https://huggingface.co/'), null);
    assert.equal(refusedUrl('http://127.0.0.1:8080/x', 'http://127.0.0.1:8080/'), null);
    assert.equal(refusedUrl('http://localhost/x', 'http://localhost/'), null);
    assert.equal(refusedUrl('http://[::1]:9/x', 'http://[::1]:9/'), null);
    assert.equal(
      refusedUrl('http://mirror.example/x', 'http://mirror.example/'),
      'http://mirror.example is plain http, which is allowed only to this machine (localhost, 127.0.0.1, ::1): use https',
    );
    assert.equal(
      refusedUrl('https://evil.example/x', 'https://huggingface.co/'),
      'evil.example is another host than localGpt.remoteHost (huggingface.co); downloads go to that host and its subdomains only',
    );
    assert.match(refusedUrl('https://huggingface.co.evil.example/x', 'https://huggingface.co/') ?? '', /another host/);
  });

  it('a plain-http remoteHost that is not this machine is refused before any request', async () => {
    const realFetch = globalThis.fetch;
    let fetches = 0;
    globalThis.fetch = (() => {
      fetches++;
      return Promise.reject(new Error('no network'));
    }) as typeof fetch;
    try {
      await rejectsWith(ensureHubModel(request(cacheDir(), { remoteHost: 'http://mirror.example/' })), 'downloadFailed', /refused: http:\/\/mirror\.example is plain http, which is allowed only to this machine/);
      assert.equal(fetches, 0);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('a redirect on the same host is followed; one to another host is refused', async () => {
    const dir = cacheDir();
    const folder = await ensureHubModel(request(dir, { id: 'acme/moved' }));
    assert.ok(fs.readFileSync(path.join(folder, 'onnx/model.onnx')).equals(fs.readFileSync(path.join(source, 'onnx/model.onnx'))));
    assert.ok(requests.some((r) => r.startsWith('/acme/moved/')) && requests.some((r) => r.startsWith('/acme/tiny-gpt2/')));
    requests.length = 0;
    await rejectsWith(ensureHubModel(request(cacheDir(), { id: 'acme/away' })), 'downloadFailed', /refused: localhost:\d+ is another host than localGpt.remoteHost \(127\.0\.0\.1:\d+\)/);
    assert.ok(requests.every((r) => r.startsWith('/acme/away/')), `the redirect target was not requested: ${requests.join(' ')}`);
  });

  it('URLs follow the Hub layout', () => {
    assert.equal(fileUrl('https://hf.example/', 'a/b', 'v1.0', 'onnx/model.onnx'), 'https://hf.example/a/b/resolve/v1.0/onnx/model.onnx');
  });

  it('downloads with progress into the cache, verified; the second time uses the cache only', async () => {
    const dir = cacheDir();
    const progress: DownloadProgress[] = [];
    const folder = await ensureHubModel(request(dir, { onProgress: (p) => progress.push(p) }));
    assert.equal(folder, hubModelDir(dir, 'acme/tiny-gpt2', 'main'));
    assert.equal(inspectModelFolder(folder, { quantized: false }).modelType, 'gpt2');
    const onnxSize = fs.statSync(path.join(source, 'onnx/model.onnx')).size;
    const last = progress.filter((p) => p.file === 'onnx/model.onnx').at(-1);
    assert.deepEqual(last, { file: 'onnx/model.onnx', loadedBytes: onnxSize, totalBytes: onnxSize });
    assert.ok(fs.readFileSync(path.join(folder, 'onnx/model.onnx')).equals(fs.readFileSync(path.join(source, 'onnx/model.onnx'))));
    assert.deepEqual(leftovers(dir), []);
    const count = requests.length;
    assert.equal(await ensureHubModel(request(dir, { allowDownloads: false })), folder);
    assert.equal(requests.length, count, 'no request for a cached model');
  });

  it('the quantized graph is added to a cached folder later', async () => {
    const dir = cacheDir();
    const folder = await ensureHubModel(request(dir));
    requests.length = 0;
    await ensureHubModel(request(dir, { quantized: true }));
    assert.deepEqual(requests, ['/acme/tiny-gpt2/resolve/main/onnx/model_quantized.onnx']);
    assert.equal(inspectModelFolder(folder, { quantized: true }).onnxFile, 'onnx/model_quantized.onnx');
  });

  it('downloads off: a clear error, no request', async () => {
    const dir = cacheDir();
    await rejectsWith(ensureHubModel(request(dir, { allowDownloads: false })), 'downloadsDisabled', /acme\/tiny-gpt2 is not downloaded yet .* Turn on localGpt.allowDownloads/);
    assert.deepEqual(requests, []);
  });

  it('404 on a required file: modelNotFound naming the URL', async () => {
    const dir = cacheDir();
    await rejectsWith(
      ensureHubModel(request(dir, { id: 'acme/nothing-here' })),
      'modelNotFound',
      /\/acme\/nothing-here\/resolve\/main\/config.json: 404 Not Found\. Check that "acme\/nothing-here" exists/,
    );
    assert.equal(fs.existsSync(hubModelDir(dir, 'acme/nothing-here', 'main')), false);
    assert.deepEqual(leftovers(dir), []);
  });

  it('500: downloadFailed with the status; nothing half-written; a retry works', async () => {
    const dir = cacheDir();
    fault = { kind: 'status', file: 'tokenizer.json', status: 500 };
    await rejectsWith(ensureHubModel(request(dir)), 'downloadFailed', /tokenizer.json: HTTP 500 Internal Server Error/);
    assert.equal(fs.existsSync(hubModelDir(dir, 'acme/tiny-gpt2', 'main')), false);
    assert.deepEqual(leftovers(dir), []);
    fault = null;
    assert.ok(await ensureHubModel(request(dir)));
  });

  it('a connection cut mid-file: downloadFailed, no half model used, a retry downloads it whole', async () => {
    const dir = cacheDir();
    fault = { kind: 'cut', file: 'onnx/model.onnx' };
    await rejectsWith(ensureHubModel(request(dir)), 'downloadFailed', /onnx\/model.onnx: the download was interrupted/);
    assert.equal(fs.existsSync(hubModelDir(dir, 'acme/tiny-gpt2', 'main')), false, 'no model folder appears');
    assert.deepEqual(leftovers(dir), []);
    fault = null;
    const folder = await ensureHubModel(request(dir));
    assert.ok(fs.readFileSync(path.join(folder, 'onnx/model.onnx')).equals(fs.readFileSync(path.join(source, 'onnx/model.onnx'))));
  });

  it('a server that stops sending: downloadFailed after the stall deadline, nothing half-written, a retry works', async () => {
    const dir = cacheDir();
    fault = { kind: 'stall', file: 'onnx/model.onnx' };
    const started = performance.now();
    await rejectsWith(ensureHubModel(request(dir, { stallTimeoutMs: 300 })), 'downloadFailed', /onnx\/model.onnx: no data for 0\.3 s after 100 bytes: the server is too slow or stalled/);
    assert.ok(performance.now() - started < 10_000, 'it gives up, it does not hang');
    assert.equal(fs.existsSync(hubModelDir(dir, 'acme/tiny-gpt2', 'main')), false, 'no model folder appears');
    assert.deepEqual(leftovers(dir), []);
    fault = null;
    // The default deadline: the retry is about the download, not the deadline (a busy machine may pause 0.3 s).
    const folder = await ensureHubModel(request(dir));
    assert.ok(fs.readFileSync(path.join(folder, 'onnx/model.onnx')).equals(fs.readFileSync(path.join(source, 'onnx/model.onnx'))));
  });

  it('a file that keeps sending slowly is not cut by the stall deadline', async () => {
    const dir = cacheDir();
    // The model file comes in 8 pieces; the test sends the next one (sendNext) when it chooses.
    let sendNext = null as (() => void) | null; // (`as`: assigned in the server's callback)
    let sent = 0;
    const slow = http.createServer((req, res) => {
      const file = (req.url ?? '').replace(/^\/acme\/tiny-gpt2\/resolve\/main\//, '');
      if (!fs.existsSync(path.join(source, file))) return void res.writeHead(404).end();
      const body = fs.readFileSync(path.join(source, file));
      res.writeHead(200, { 'content-length': body.length });
      if (file !== 'onnx/model.onnx') return void res.end(body);
      const piece = Math.ceil(body.length / 8);
      sendNext = () => {
        const end = Math.min(body.length, sent + piece);
        res.write(body.subarray(sent, end));
        sent = end;
        if (sent >= body.length) res.end();
      };
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    // The stall deadline runs on a fake clock that moves only when the test ticks it: 300 ms after each
    // piece has arrived, 2.4 s in all, longer than the 400 ms deadline, each gap shorter, however slowly
    // the machine delivers the pieces.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const slowHost = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
      let received = 0;
      const download = ensureHubModel(
        request(dir, { remoteHost: slowHost, stallTimeoutMs: 400, onProgress: (p) => void (p.file === 'onnx/model.onnx' && (received = p.loadedBytes)) }),
      );
      let failed = null as unknown;
      download.catch((e: unknown) => (failed = e));
      /** Polls with the real timer until `check` holds or the download failed. */
      const until = async (check: () => boolean) => {
        while (!check() && failed === null) await new Promise((r) => realSetTimeout(r, 5));
      };
      await until(() => sendNext !== null);
      for (let i = 0; i < 8 && failed === null; i++) {
        sendNext!();
        await until(() => received >= sent);
        mock.timers.tick(300);
      }
      const folder = await download;
      assert.ok(fs.readFileSync(path.join(folder, 'onnx/model.onnx')).equals(fs.readFileSync(path.join(source, 'onnx/model.onnx'))));
    } finally {
      mock.timers.reset();
      slow.closeAllConnections();
      slow.close();
    }
  });

  it('cancelling stops the download and leaves nothing behind', async () => {
    const dir = cacheDir();
    fault = { kind: 'stall', file: 'onnx/model.onnx' };
    const abort = new AbortController();
    const pending = ensureHubModel(
      request(dir, {
        signal: abort.signal,
        onProgress: (p) => {
          if (p.file === 'onnx/model.onnx') abort.abort();
        },
      }),
    );
    await rejectsWith(pending, 'cancelled', /download of onnx\/model.onnx was cancelled/);
    assert.equal(fs.existsSync(hubModelDir(dir, 'acme/tiny-gpt2', 'main')), false);
    assert.deepEqual(leftovers(dir), []);
  });

  it('a file that is not what it claims (HTML instead of ONNX) is rejected', async () => {
    const dir = cacheDir();
    const bad = http.createServer((req, res) => {
      const file = (req.url ?? '').replace(/^\/acme\/tiny-gpt2\/resolve\/main\//, '');
      const body = file.endsWith('.onnx') ? Buffer.from('<html>login required</html>'.repeat(4)) : fs.readFileSync(path.join(source, file));
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    try {
      const badHost = `http://127.0.0.1:${(bad.address() as AddressInfo).port}/`;
      await rejectsWith(ensureHubModel(request(dir, { remoteHost: badHost })), 'downloadFailed', /onnx\/model.onnx: the downloaded file is not an ONNX model/);
      assert.deepEqual(leftovers(dir), []);
    } finally {
      bad.close();
    }
  });
});
