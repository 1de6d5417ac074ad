/**
 * A headless completion session: one model worker (loaded once) and one completion pipeline, set up
 * from the extension's settings as the extension does (context -> prompt -> worker ->
 * post-processing), and documents given as buffers. Used by `npm run complete` (one position or a
 * batch) and by the editor-path evaluation (eval/editor.ts), so both measure the same code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalizeSettings, type Settings } from '../../src/config/settings';
import { assertKnownSettings, type SettingOverrides } from '../../src/config/overrides';
import type { CancellationLike } from '../../src/completion/debounce';
import { CompletionPipeline, type CompletionEngine, type CompletionRequest, type CompletionResult, type EngineReply } from '../../src/completion/pipeline';
import { NO_SUGGESTION_TEXT, type NoSuggestionReason } from '../../src/completion/outcome';
import { resolveModelSetting } from '../../src/engine/modelSource';
import { ensureModelGraphs, hasSourceWeights } from './modelGraphs';
import type { GenerationOptions, ModelInfo } from '../../src/engine/protocol';
import { sourceWorker } from '../../src/engine/sourceWorker';
import { engineConfigFor } from '../../src/engine/engineConfig';
import { WorkerClient } from '../../src/engine/workerClient';
import { bundledWorker } from '../../src/engine/workerFactory';
import manifest from '../../package.json';
import { folderWorkspace, type FolderWorkspace } from '../../src/workspace/folderWorkspace';
import { offsetOfPosition, type BatchPosition, type BatchResult } from './batchPositions';

const ROOT = path.resolve(__dirname, '..', '..');

/** VS Code language ids by file extension (what the editor would report for these files). */
const LANGUAGES: Record<string, string> = {
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript', '.tsx': 'typescriptreact', '.js': 'javascript', '.jsx': 'javascriptreact',
  '.mjs': 'javascript', '.cjs': 'javascript', '.py': 'python', '.json': 'json', '.css': 'css', '.html': 'html', '.md': 'markdown',
  '.sh': 'shellscript', '.go': 'go', '.rs': 'rust',
};

function languageIdOf(file: string): string {
  const ext = path.extname(file);
  return LANGUAGES[ext] ?? ext.slice(1);
}

const never: CancellationLike = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };

interface SessionOptions {
  /** Setting values below `localGpt.` over the defaults; every key must be a declared setting. */
  overrides: SettingOverrides;
  /** `--model`: a folder (absolute, or relative to the current folder) or an id; '' = embedded. */
  model: string;
  cacheDir: string;
  /** Run dist/worker.js instead of the TypeScript worker source. */
  bundle: boolean;
  /** Worker log lines and setting warnings. */
  log: (message: string) => void;
}

/** The engine with the last raw reply kept, so an empty result can say why it is empty. */
class RecordingEngine implements CompletionEngine {
  last: EngineReply | null = null;
  constructor(private readonly inner: WorkerClient) {}
  ensureLoaded(): Promise<ModelInfo> {
    return this.inner.ensureLoaded();
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  get contextLength() {
    return this.inner.contextLength;
  }
  async complete(prompt: string, options: GenerationOptions, token: CancellationLike): Promise<EngineReply | null> {
    this.last = await this.inner.complete(prompt, options, token);
    return this.last;
  }
}

/** Why the pipeline showed nothing: its reason, and for `empty` what the model replied. */
function emptyReason(reason: NoSuggestionReason, reply: EngineReply | null): string {
  if (reason !== 'empty' || reply === null) return NO_SUGGESTION_TEXT[reason];
  if (reply.text.trim() === '') return `the model generated no text (stop: ${reply.stopReason})`;
  return `post-processing removed the model's text ${JSON.stringify(reply.text)} (stop: ${reply.stopReason})`;
}

function readDocument(file: string, where: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${where}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the buffer as "text" or fix "file"`);
  }
}

export class CompletionSession {
  readonly settings: Settings;
  pipeline: CompletionPipeline;
  private readonly client: WorkerClient;
  private readonly engine: RecordingEngine;

  constructor(options: SessionOptions) {
    assertKnownSettings(options.overrides, 'settings');
    const { settings, warnings } = normalizeSettings(options.overrides);
    for (const w of warnings) options.log(`warning: ${w}`);
    this.settings = settings;
    const modelSetting = options.model && !path.isAbsolute(options.model) && fs.existsSync(options.model) ? path.resolve(options.model) : options.model || settings.model;
    const resolved = resolveModelSetting(modelSetting, ROOT, manifest.localGpt.embeddedModel, { workspaceRoot: process.cwd() });
    if (!resolved.ok) throw new Error(resolved.error);
    // The project's own model folders keep only their weights in git: derive the graphs if missing or stale.
    if (resolved.source.kind !== 'hub' && hasSourceWeights(resolved.source.dir) && path.resolve(resolved.source.dir).startsWith(path.join(ROOT, 'models') + path.sep)) {
      ensureModelGraphs(resolved.source.dir, (line) => options.log(line));
    }
    const distWasm = path.join(ROOT, 'dist', 'wasm');
    const wasmPaths = options.bundle || fs.existsSync(distWasm) ? distWasm : path.join(ROOT, 'node_modules/onnxruntime-web/dist');
    const config = engineConfigFor(settings, { source: resolved.source, wasmPaths, cacheDir: options.cacheDir });
    const workerFile = options.bundle ? path.join(ROOT, 'dist', 'worker.js') : path.join(ROOT, 'src', 'engine', 'worker.ts');
    if (!fs.existsSync(workerFile)) throw new Error(`${workerFile} does not exist (run npm run build)`);
    this.client = new WorkerClient(config, {
      createWorker: options.bundle ? bundledWorker(workerFile) : sourceWorker(workerFile),
      onEvent: (e) => {
        if (e.type === 'log') options.log(`[${e.level}] ${e.message}`);
      },
    });
    this.engine = new RecordingEngine(this.client);
    this.pipeline = new CompletionPipeline(this.engine, () => this.settings);
  }

  /** The workspace folder documents are relative to (null: the current folder). */
  private workspace: string | null = null;
  /** Its retrieval index and copy-model documents, when a `localGpt.workspace.*` feature is on. */
  private folder: FolderWorkspace | null = null;

  /**
   * The workspace of the next completions: a folder on disk, as the extension's workspace folder
   * (relative paths and prompt headers are relative to it). The one place that workspace features
   * learn of a new workspace, so the CLI and the evaluation use them alike.
   */
  async useWorkspace(dir: string | null): Promise<void> {
    this.workspace = dir;
    const { cache, retrieval } = this.settings.workspace;
    this.folder = dir !== null && (cache || retrieval) ? folderWorkspace(dir, this.client) : null;
    if (this.folder && retrieval) await this.folder.indexAll();
    this.pipeline = new CompletionPipeline(this.engine, () => this.settings, this.folder ? { workspace: this.folder.context } : {});
  }

  /** Starts the worker and loads the model (also done by the first completion). */
  load(): Promise<ModelInfo> {
    return this.client.ensureLoaded();
  }

  /** A pipeline request for `text` with the cursor at `offset`; `file` absolute. */
  request(file: string, text: string, offset: number): CompletionRequest {
    const relative = path.relative(this.workspace ?? process.cwd(), file);
    return {
      text,
      offset,
      languageId: languageIdOf(file),
      relativePath: (relative.startsWith('..') ? path.basename(file) : relative).split(path.sep).join('/'),
      documentKey: file,
    };
  }

  /**
   * The document being completed, as the editor has it open: its buffer (the file on disk may differ or be
   * absent) is what retrieval and the copy model read, as they follow the extension's open documents.
   */
  openDocument(file: string, text: string): void {
    this.folder?.openBuffer(file, languageIdOf(file), text);
  }

  /** Runs the pipeline once; `reason` is set when there is nothing to show. */
  async completeRequest(request: CompletionRequest): Promise<{ result: CompletionResult | null; latencyMs: number; reason?: string }> {
    this.engine.last = null;
    const started = performance.now();
    const outcome = await this.pipeline.complete(request, never);
    const latencyMs = performance.now() - started;
    return outcome.kind === 'suggestion' ? { result: outcome, latencyMs } : { result: null, latencyMs, reason: emptyReason(outcome.reason, this.engine.last) };
  }

  /**
   * One position of a batch: its buffer (`text`) or else the file on disk, the cursor at its line
   * and column. Errors about the position (a missing file, a column past the line) come back as
   * the result's `reason`, so one bad position does not stop a batch.
   */
  async completeAt(position: BatchPosition, where: string): Promise<BatchResult> {
    const base: Pick<BatchResult, 'file' | 'line' | 'column'> = { file: position.file, line: position.line, column: position.column };
    const file = path.resolve(this.workspace ?? process.cwd(), position.file);
    let text: string;
    let offset: number;
    try {
      text = position.text ?? readDocument(file, where);
      offset = offsetOfPosition(text, position.line, position.column, where);
    } catch (e) {
      return { ...base, completion: null, latencyMs: 0, reason: (e as Error).message };
    }
    this.openDocument(file, text);
    const { result, latencyMs, reason } = await this.completeRequest(this.request(file, text, offset));
    return result ? { ...base, completion: result.text, latencyMs } : { ...base, completion: null, latencyMs, reason };
  }

  dispose(): Promise<void> {
    return this.client.dispose();
  }
}
