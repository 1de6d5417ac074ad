/**
 * Downloads a Hugging Face model id into the cache, the way a half-written model can never be used:
 * every file goes to a private temp folder first, is checked (complete length, JSON parses, ONNX
 * looks like a protobuf model, the folder passes `inspectModelFolder`), and only then renamed into
 * `<cacheDir>/models/<owner>--<name>@<revision>/`. An interruption leaves only a temp folder,
 * removed at once (or, after a crash, by the next download). URLs follow transformers.js:
 * `<remoteHost><id>/resolve/<revision>/<file>`.
 */
import { isLoopbackHost } from '../config/hosts';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspectModelFolder, modelFiles, ModelFolderError } from './modelFolder';
import { hubModelDir } from './modelSource';

type DownloadErrorCode = 'modelNotFound' | 'downloadFailed' | 'downloadsDisabled' | 'cancelled';

export class DownloadError extends Error {
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number | null;
}

export interface HubModelRequest {
  id: string;
  revision: string;
  /** Base URL ending with '/', e.g. `https://huggingface.co/`. */
  remoteHost: string;
  cacheDir: string;
  quantized: boolean;
  allowDownloads: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Progress events per file at most this often, ms (the last one always comes). */
  progressIntervalMs?: number;
  /** A file that sends no bytes for this long (ms) fails the download (default 30 s). */
  stallTimeoutMs?: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/** At most this many redirects per file. */
const MAX_REDIRECTS = 5;

/**
 * Why `url` must not be fetched for a model from `remoteHost`, or null when it may: HTTPS to
 * `remoteHost`'s host or one of its subdomains (a CDN such as `cdn-lfs.huggingface.co`); plain HTTP only
 * to this machine (127.0.0.0/8, ::1, localhost: a local mirror or a test server). Checked before the
 * first request and again for every redirect, so a redirect cannot take the download anywhere else.
 */
export function refusedUrl(url: string, remoteHost: string): string | null {
  let target: URL;
  let base: URL;
  try {
    target = new URL(url);
    base = new URL(remoteHost);
  } catch {
    return `${url} is not a URL`;
  }
  if (target.protocol === 'http:') {
    if (!isLoopbackHost(target.hostname)) return `${target.origin} is plain http, which is allowed only to this machine (localhost, 127.0.0.1, ::1): use https`;
  } else if (target.protocol !== 'https:') {
    return `${target.protocol} is not http(s)`;
  }
  if (target.host !== base.host && !target.hostname.endsWith(`.${base.hostname}`)) {
    return `${target.host} is another host than localGpt.remoteHost (${base.host}); downloads go to that host and its subdomains only`;
  }
  return null;
}

export function fileUrl(remoteHost: string, id: string, revision: string, file: string): string {
  const host = remoteHost.endsWith('/') ? remoteHost : `${remoteHost}/`;
  return `${host}${id}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/** Temp folders older than this are leftovers of a crash. */
const STALE_TEMP_MS = 24 * 3600 * 1000;

function removeStaleTemps(tempRoot: string): void {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(tempRoot);
  } catch {
    return;
  }
  for (const name of entries) {
    const full = path.join(tempRoot, name);
    try {
      if (Date.now() - fs.statSync(full).mtimeMs > STALE_TEMP_MS) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // another window may be removing it too
    }
  }
}

function isComplete(dir: string, required: readonly string[]): boolean {
  return required.every((f) => fs.existsSync(path.join(dir, f)));
}

/** Checks a downloaded file's content by its kind; throws with the file named. */
function verifyFile(file: string, fullPath: string): void {
  const bytes = fs.readFileSync(fullPath);
  if (file.endsWith('.json')) {
    try {
      JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new DownloadError('downloadFailed', `${file}: the downloaded file is not valid JSON (${(e as Error).message})`);
    }
  } else if (file.endsWith('.onnx')) {
    // An ONNX ModelProto starts with field 1 (ir_version, varint): tag byte 0x08.
    if (bytes.length < 16 || bytes[0] !== 0x08) {
      throw new DownloadError('downloadFailed', `${file}: the downloaded file is not an ONNX model (${bytes.length} bytes)`);
    }
  }
}

/**
 * Aborts when no bytes arrived for `ms`: a server that stops sending (or never answers) would
 * otherwise hold the model load forever. `alive()` on every chunk; `stop()` when done.
 */
class StallWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  constructor(readonly ms: number) {
    this.timer = setTimeout(() => this.controller.abort(), ms);
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  alive(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(), this.ms);
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

async function downloadFile(url: string, file: string, target: string, request: HubModelRequest): Promise<'ok' | 'missing'> {
  const stall = new StallWatch(request.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
  let loadedBytes = 0;
  /** The error for a failed fetch or read: cancelled by the user, stalled, or the network's own. */
  const failure = (e: unknown, what: string): DownloadError => {
    if (request.signal?.aborted) return new DownloadError('cancelled', `download of ${file} was cancelled`);
    if (stall.signal.aborted) {
      const seconds = (stall.ms / 1000).toFixed(stall.ms < 1000 ? 1 : 0);
      return new DownloadError('downloadFailed', `${url}: no data for ${seconds} s after ${loadedBytes} bytes: the server is too slow or stalled; try again later`);
    }
    const cause = (e as { cause?: Error }).cause;
    return new DownloadError('downloadFailed', `${url}: ${what}${(e as Error).message}${cause ? ` (${cause.message})` : ''}`);
  };
  try {
    let response: Response;
    let at = url;
    for (let hop = 0; ; hop++) {
      const refused = refusedUrl(at, request.remoteHost);
      if (refused) throw new DownloadError('downloadFailed', `${url}: refused: ${refused}`);
      try {
        // Redirects by hand: each target is checked like the first URL.
        response = await fetch(at, { signal: request.signal ? AbortSignal.any([request.signal, stall.signal]) : stall.signal, redirect: 'manual' });
      } catch (e) {
        throw failure(e, '');
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status > 399 || location === null) break;
      await response.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new DownloadError('downloadFailed', `${url}: more than ${MAX_REDIRECTS} redirects`);
      at = new URL(location, at).href;
    }
    stall.alive();
    if (response.status === 404) return 'missing';
    if (!response.ok || !response.body) {
      throw new DownloadError('downloadFailed', `${url}: HTTP ${response.status} ${response.statusText}`.trim());
    }
    const header = response.headers.get('content-length');
    const totalBytes = header !== null && /^\d+$/.test(header) ? Number(header) : null;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const out = await fs.promises.open(target, 'w');
    let lastReport = -Infinity;
    const interval = request.progressIntervalMs ?? 100;
    try {
      for await (const chunk of response.body) {
        stall.alive();
        await out.write(chunk);
        loadedBytes += chunk.byteLength;
        const now = performance.now();
        if (now - lastReport >= interval) {
          lastReport = now;
          request.onProgress?.({ file, loadedBytes, totalBytes });
        }
      }
    } catch (e) {
      throw failure(e, `the download was interrupted after ${loadedBytes} bytes: `);
    } finally {
      await out.close();
    }
    if (totalBytes !== null && loadedBytes !== totalBytes) {
      throw new DownloadError('downloadFailed', `${url}: the download was interrupted: got ${loadedBytes} of ${totalBytes} bytes`);
    }
    request.onProgress?.({ file, loadedBytes, totalBytes: totalBytes ?? loadedBytes });
    return 'ok';
  } finally {
    stall.stop();
  }
}

/**
 * Returns the folder of a complete, verified copy of the model, downloading what is missing.
 * Throws `DownloadError` (codes: downloadsDisabled, modelNotFound, downloadFailed, cancelled).
 */
export async function ensureHubModel(request: HubModelRequest): Promise<string> {
  const finalDir = hubModelDir(request.cacheDir, request.id, request.revision);
  const { required, optional } = modelFiles(request.quantized);
  if (isComplete(finalDir, required)) return finalDir;
  if (!request.allowDownloads) {
    throw new DownloadError(
      'downloadsDisabled',
      `${request.id} is not downloaded yet (${finalDir}) and downloads are off. ` +
        'Turn on localGpt.allowDownloads to fetch it, or set localGpt.model to a local folder.',
    );
  }

  const tempRoot = path.join(request.cacheDir, 'tmp');
  fs.mkdirSync(tempRoot, { recursive: true });
  removeStaleTemps(tempRoot);
  const temp = fs.mkdtempSync(path.join(tempRoot, `${request.id.replace('/', '--')}-`));
  try {
    const fetched: string[] = [];
    const missingInFinal = (f: string) => !fs.existsSync(path.join(finalDir, f));
    for (const file of [...required, ...optional].filter(missingInFinal)) {
      if (request.signal?.aborted) throw new DownloadError('cancelled', `download of ${request.id} was cancelled`);
      const url = fileUrl(request.remoteHost, request.id, request.revision, file);
      const outcome = await downloadFile(url, file, path.join(temp, file), request);
      if (outcome === 'missing') {
        if (optional.includes(file)) continue;
        throw new DownloadError(
          'modelNotFound',
          `${url}: 404 Not Found. Check that "${request.id}" exists on ${request.remoteHost} and has ONNX weights (${file}).`,
        );
      }
      verifyFile(file, path.join(temp, file));
      fetched.push(file);
    }

    // The folder as it will be: files already in the cache plus the new ones, checked as a whole.
    for (const file of required.filter((f) => !fetched.includes(f))) {
      fs.mkdirSync(path.dirname(path.join(temp, file)), { recursive: true });
      fs.copyFileSync(path.join(finalDir, file), path.join(temp, file));
    }
    try {
      inspectModelFolder(temp, { quantized: request.quantized });
    } catch (e) {
      if (e instanceof ModelFolderError) throw new DownloadError('downloadFailed', `${request.id}: the downloaded model is not usable: ${e.message}`);
      throw e;
    }

    fs.mkdirSync(path.dirname(finalDir), { recursive: true });
    if (!fs.existsSync(finalDir)) {
      try {
        fs.renameSync(temp, finalDir); // atomic: the model appears complete or not at all
        return finalDir;
      } catch (e) {
        if (!fs.existsSync(finalDir)) throw e; // else another window won the race: add our files below
      }
    }
    for (const file of fetched) {
      fs.mkdirSync(path.dirname(path.join(finalDir, file)), { recursive: true });
      fs.renameSync(path.join(temp, file), path.join(finalDir, file));
    }
    return finalDir;
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}
