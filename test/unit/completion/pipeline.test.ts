import { strict as assert } from 'node:assert';
import type { CancellationLike } from '../../../src/completion/debounce';
import { debounce } from '../../../src/completion/debounce';
import { CompletionPipeline, prefixTokenBudget, RETRIEVAL_SHARE, type CompletionEngine, type CompletionOutcome, type CompletionResult, type EngineReply, type PipelineSettings } from '../../../src/completion/pipeline';
import type { GenerationOptions, ModelCapabilities } from '../../../src/engine/protocol';
import type { WorkspaceContextProvider } from '../../../src/workspace/workspaceContext';
import { withCursor } from './cursor';

const settings: PipelineSettings = { debounceMs: 0, maxNewTokens: 16, temperature: 0, topK: 40, topP: 0.95, beamWidth: 1, seed: 5, contextTokens: 256, suffixTokens: 32, multiline: 'auto', tokenHealing: true };
const timings = { promptTokens: 3, reusedTokens: 0, prefillMs: 1, decodeMs: 1, tokensPerSecond: 1 };

class FakeEngine implements CompletionEngine {
  readonly calls: { prompt: string; options: GenerationOptions }[] = [];
  capabilities: ModelCapabilities | null = { fim: false };
  contextLength: number | null = null;
  constructor(private readonly answer: (prompt: string) => string | null) {}
  async complete(prompt: string, options: GenerationOptions): Promise<EngineReply | null> {
    this.calls.push({ prompt, options });
    const text = this.answer(prompt);
    return text === null ? null : { text, stopReason: 'stop', timings };
  }
}

const token = (): CancellationLike & { cancel(): void } => {
  const listeners: (() => void)[] = [];
  return {
    isCancellationRequested: false,
    onCancellationRequested(l) {
      listeners.push(l);
      return { dispose: () => undefined };
    },
    cancel() {
      (this as { isCancellationRequested: boolean }).isCancellationRequested = true;
      listeners.forEach((l) => l());
    },
  };
};

const request = (marked: string) => ({ ...withCursor(marked), documentKey: 'file:///src/example.ts' });

/** The outcome's suggestion; fails (naming the reason) when there is none. */
function suggestion(outcome: CompletionOutcome): CompletionResult {
  assert.equal(outcome.kind, 'suggestion', `a suggestion, not ${JSON.stringify(outcome)}`);
  return outcome as CompletionResult;
}

describe('completion/pipeline', () => {
  it('builds the prompt, asks the engine, post-processes, and caches', async () => {
    const engine = new FakeEngine(() => 'items.length;\nnext line');
    const pipeline = new CompletionPipeline(engine, () => settings);
    const result = suggestion(await pipeline.complete(request('const total = ▮'), token()));
    assert.equal(result.text, 'items.length;');
    assert.equal(result.source, 'model');
    assert.equal(result.multiline, false);
    assert.deepEqual(engine.calls.map((c) => c.prompt), ['// src/example.ts\nconst total = ']);
    assert.deepEqual(engine.calls[0].options, {
      maxNewTokens: 16,
      temperature: 0,
      topK: 40,
      topP: 0.95,
      seed: 5,
      stop: ['\n'],
      heal: true,
      lineStop: { linePrefix: 'const total = ', lineSuffix: '', nextLines: [], linesAbove: [], multiline: false },
    });

    const again = suggestion(await pipeline.complete(request('const total = ▮'), token()));
    assert.equal(again.source, 'cache');
    const typed = suggestion(await pipeline.complete(request('const total = ite▮'), token()));
    assert.deepEqual([typed.source, typed.text], ['cache', 'ms.length;'], 'typing through keeps the suggestion');
    assert.equal(engine.calls.length, 1, 'no new generation');
  });

  it('an engine that loads lazily is loaded before the first prompt is built: a FIM model gets a FIM prompt at once', async () => {
    const engine = new (class extends FakeEngine {
      override capabilities: ModelCapabilities | null = null;
      loads = 0;
      async ensureLoaded(): Promise<void> {
        this.loads++;
        this.capabilities = { fim: 'spm' };
      }
    })(() => 'return x;');
    const pipeline = new CompletionPipeline(engine, () => settings);
    suggestion(await pipeline.complete(request('function f(x) {\n  ▮\n}\n'), token()));
    suggestion(await pipeline.complete(request('function g(x) {\n  ▮\n}\n'), token()));
    assert.equal(engine.loads, 1, 'loaded once');
    assert.deepEqual(
      engine.calls.map((c) => c.prompt.startsWith('<fim_prefix><fim_suffix>')),
      [true, true],
    );
  });

  it('a request cancelled while the model loads asks nothing of the model', async () => {
    const t = token();
    const engine = new (class extends FakeEngine {
      override capabilities: ModelCapabilities | null = null;
      async ensureLoaded(): Promise<void> {
        t.cancel();
        this.capabilities = { fim: false };
      }
    })(() => 'x;');
    const outcome = await new CompletionPipeline(engine, () => settings).complete(request('const a = ▮'), t);
    assert.deepEqual(outcome, { kind: 'none', reason: 'cancelled' });
    assert.equal(engine.calls.length, 0);
  });

  it('localGpt.beamWidth above 1 asks the engine for beam search', async () => {
    const engine = new FakeEngine(() => 'x;');
    await new CompletionPipeline(engine, () => ({ ...settings, beamWidth: 3 })).complete(request('const a = ▮'), token());
    assert.equal(engine.calls[0].options.beamWidth, 3);
  });

  it('multi-line at an empty line: no stop string', async () => {
    const engine = new FakeEngine(() => 'a();\nreturn b;');
    const result = suggestion(await new CompletionPipeline(engine, () => settings).complete(request('x();\n▮'), token()));
    assert.equal(result.text, 'a();\nreturn b;');
    assert.deepEqual(engine.calls[0].options.stop, []);
    // the loop's line stop sees what post-processing sees
    assert.deepEqual(engine.calls[0].options.lineStop, { linePrefix: '', lineSuffix: '', nextLines: [], linesAbove: ['x();'], multiline: true });
  });

  it('nothing to show is remembered for that spot: empty, then cachedEmpty without asking the model again', async () => {
    const engine = new FakeEngine(() => '   ');
    const pipeline = new CompletionPipeline(engine, () => settings);
    assert.deepEqual(await pipeline.complete(request('let a = ▮'), token()), { kind: 'none', reason: 'empty' });
    assert.deepEqual(await pipeline.complete(request('let a = ▮'), token()), { kind: 'none', reason: 'cachedEmpty' });
    assert.equal(engine.calls.length, 1);
  });

  it('a fresh line after a return at its indentation: unreachable, and the model is not asked; one line up it is', async () => {
    const engine = new FakeEngine(() => 'const b = a;');
    const pipeline = new CompletionPipeline(engine, () => settings);
    assert.deepEqual(await pipeline.complete(request('function f(a: number) {\n  return a;\n  ▮\n}'), token()), { kind: 'none', reason: 'unreachable' });
    assert.equal(engine.calls.length, 0);
    assert.equal(suggestion(await pipeline.complete(request('function f(a: number) {\n  ▮\n  return a;\n}'), token())).kind, 'suggestion');
    assert.equal(engine.calls.length, 1);
  });

  it('binary-looking text (NUL) around the cursor: binary, and the model is not asked', async () => {
    const engine = new FakeEngine(() => 'x');
    const pipeline = new CompletionPipeline(engine, () => settings);
    assert.deepEqual(await pipeline.complete(request('ELF\u0000\u0001 ▮'), token()), { kind: 'none', reason: 'binary' });
    assert.deepEqual(await pipeline.complete(request('let a = ▮\n\u0000\u0000'), token()), { kind: 'none', reason: 'binary' });
    assert.equal(engine.calls.length, 0);
  });

  it('seed -1 draws a fresh seed per request', async () => {
    const engine = new FakeEngine(() => 'x');
    let n = 100;
    const pipeline = new CompletionPipeline(engine, () => ({ ...settings, seed: -1 }), { randomSeed: () => n++ });
    await pipeline.complete(request('a ▮'), token());
    await pipeline.complete(request('b ▮'), token());
    assert.deepEqual(engine.calls.map((c) => c.options.seed), [100, 101]);
  });

  it('a keystroke during the debounce cancels without asking the engine: debounced', async () => {
    const engine = new FakeEngine(() => 'x');
    // An hour: only the cancellation can end this debounce.
    const pipeline = new CompletionPipeline(engine, () => ({ ...settings, debounceMs: 3_600_000 }));
    const t = token();
    const pending = pipeline.complete(request('a ▮'), t);
    t.cancel();
    assert.deepEqual(await pending, { kind: 'none', reason: 'debounced' });
    assert.equal(engine.calls.length, 0);
  });

  it('the debounce counts from the last keystroke: a pause already as long as the debounce asks the engine at once', async () => {
    const engine = new FakeEngine(() => 'x');
    // An hour of debounce, and the user stopped typing an hour ago (VS Code's own wait is part of the pause).
    const pipeline = new CompletionPipeline(engine, () => ({ ...settings, debounceMs: 3_600_000 }), { now: () => 7_200_000 });
    const outcome = await pipeline.complete({ ...request('a ▮'), lastActivityAt: 3_600_000 }, token());
    assert.equal(outcome.kind === 'suggestion' && outcome.text, 'x');
    assert.equal(engine.calls.length, 1);
  });

  it('a keystroke just before the request leaves the whole debounce to wait, and a newer one cancels it', async () => {
    const engine = new FakeEngine(() => 'x');
    const pipeline = new CompletionPipeline(engine, () => ({ ...settings, debounceMs: 3_600_000 }), { now: () => 7_200_000 });
    const t = token();
    // One second of an hour's debounce has passed: the rest is waited for, and the next keystroke ends it.
    const pending = pipeline.complete({ ...request('a ▮'), lastActivityAt: 7_199_000 }, t);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(engine.calls.length, 0);
    t.cancel();
    assert.deepEqual(await pending, { kind: 'none', reason: 'debounced' });
    assert.equal(engine.calls.length, 0);
  });

  it('the model starts within its head start of the debounce end; its suggestion still waits for the debounce', async () => {
    const engine = new FakeEngine(() => 'x');
    // A head start as long as the whole hour of debounce: the engine is asked at once.
    const pipeline = new CompletionPipeline(engine, () => ({ ...settings, debounceMs: 3_600_000 }), { now: () => 7_200_000, modelHeadStartMs: 3_600_000 });
    const t = token();
    let settled = false;
    const pending = pipeline.complete({ ...request('a ▮'), lastActivityAt: 7_200_000 }, t).finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(engine.calls.length, 1);
    assert.equal(settled, false, 'the reply came, but the debounce is not over');
    // The user types on before the debounce ends: the reply is dropped.
    t.cancel();
    assert.deepEqual(await pending, { kind: 'none', reason: 'debounced' });
    assert.equal(pipeline.cache.size, 0);
  });

  it('a reply that came within the head start is shown once the debounce is over', async () => {
    const engine = new FakeEngine(() => 'x');
    const pipeline = new CompletionPipeline(engine, () => ({ ...settings, debounceMs: 20 }), { modelHeadStartMs: 3_600_000 });
    const outcome = suggestion(await pipeline.complete(request('a ▮'), token()));
    assert.equal(outcome.text, 'x');
    assert.equal(engine.calls.length, 1);
  });

  it('a request cancelled before it starts (no debounce) is debounced too', async () => {
    const engine = new FakeEngine(() => 'x');
    const t = token();
    t.cancel();
    assert.deepEqual(await new CompletionPipeline(engine, () => settings).complete(request('a ▮'), t), { kind: 'none', reason: 'debounced' });
    assert.equal(engine.calls.length, 0);
  });

  it('a cancelled or superseded engine request (null reply) shows nothing and caches nothing: cancelled', async () => {
    const engine = new FakeEngine(() => null);
    const pipeline = new CompletionPipeline(engine, () => settings);
    assert.deepEqual(await pipeline.complete(request('a ▮'), token()), { kind: 'none', reason: 'cancelled' });
    assert.equal(pipeline.cache.size, 0);
  });

  it('cancelled while the engine ran (it still replied): cancelled, and nothing cached', async () => {
    const t = token();
    const engine = new FakeEngine(() => {
      t.cancel();
      return 'x;';
    });
    const pipeline = new CompletionPipeline(engine, () => settings);
    assert.deepEqual(await pipeline.complete(request('a ▮'), t), { kind: 'none', reason: 'cancelled' });
    assert.equal(engine.calls.length, 1);
    assert.equal(pipeline.cache.size, 0);
  });

  it('consecutive requests in one document keep the prompt start (prefix reuse in the worker)', async () => {
    const engine = new FakeEngine(() => 'x');
    const pipeline = new CompletionPipeline(engine, () => ({ ...settings, contextTokens: 32 }), { charsPerToken: 3 });
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i};`).join('\n');
    await pipeline.complete(request(`${lines}\nfoo▮`), token());
    await pipeline.complete(request(`${lines}\nfoo(▮`), token());
    await pipeline.complete(request(`${lines}\nfoo(1▮`), token());
    const [a, b, c] = engine.calls.map((x) => x.prompt);
    assert.ok(b.startsWith(a) && c.startsWith(b), `${JSON.stringify(a)} / ${JSON.stringify(b)}`);
  });

  it('the prefix budget never exceeds what the model window leaves', () => {
    assert.equal(prefixTokenBudget(settings, null, false), 256);
    assert.equal(prefixTokenBudget(settings, 1024, false), 256);
    assert.equal(prefixTokenBudget(settings, 128, false), 128 - 16 - 16);
    assert.equal(prefixTokenBudget(settings, 128, true), 128 - 16 - 16 - 32, 'FIM leaves room for the suffix');
    assert.equal(prefixTokenBudget(settings, 40, false), 16, 'never below 16');
  });

  it('a small model window shortens the prefix sent', async () => {
    const engine = new FakeEngine(() => 'x');
    engine.contextLength = 64; // 64 - 16 new - 16 margin = 32 tokens = 96 chars at 3 chars/token
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i};`).join('\n');
    await new CompletionPipeline(engine, () => settings).complete(request(`${lines}\nfoo▮`), token());
    const prompt = engine.calls[0].prompt;
    assert.ok(prompt.length - '// src/example.ts\n'.length <= 96, `${prompt.length} chars`);
  });

  it('debounce resolves true after the delay, false when cancelled first', async () => {
    assert.equal(await debounce(10, token()), true);
    const t = token();
    t.cancel();
    assert.equal(await debounce(10, t), false);
  });
});

describe('completion/pipeline with the workspace (retrieval and the copy model)', () => {
  const MATH = 'export function clamp(value: number, min: number, max: number): number {\n  return Math.min(max, Math.max(min, value));\n}';
  /** A workspace with one snippet source; records the queries it is asked. */
  const fakeWorkspace = (): WorkspaceContextProvider & { queries: string[]; targets: string[] } => {
    const queries: string[] = [];
    const targets: string[] = [];
    return {
      queries,
      targets,
      findSnippets(request) {
        queries.push(request.queryText);
        return request.queryText.includes('clamp') ? [{ key: 'math', relativePath: 'src/math.ts', languageId: 'typescript', startLine: 0, endLine: 3, score: 0.8 }] : [];
      },
      readSnippets: async (hits) => hits.map((h) => ({ relativePath: h.relativePath, startLine: h.startLine, endLine: h.endLine, text: MATH })),
      cacheTarget(documentKey, cursorOffset) {
        targets.push(documentKey);
        return { documentKey, languageId: 'js', cursorOffset };
      },
    };
  };
  const on = { ...settings, workspace: { cache: true, retrieval: true } };

  it('cancelled while the snippets are read: cancelled, and the model is not asked', async () => {
    const engine = new FakeEngine(() => 'x');
    const t = token();
    const workspace = fakeWorkspace();
    const read = workspace.readSnippets;
    workspace.readSnippets = async (hits) => {
      t.cancel();
      return read(hits);
    };
    const pipeline = new CompletionPipeline(engine, () => on, { workspace });
    assert.deepEqual(await pipeline.complete(request('const a = clamp(v, 0, 1);\n▮'), t), { kind: 'none', reason: 'cancelled' });
    assert.deepEqual(workspace.queries, ['const a = clamp(v, 0, 1);'], 'the snippets were looked for');
    assert.equal(engine.calls.length, 0);
  });

  it('puts the retrieved snippet between the header and the prefix, and asks for the copy model', async () => {
    const engine = new FakeEngine(() => 'x');
    const workspace = fakeWorkspace();
    const pipeline = new CompletionPipeline(engine, () => on, { workspace });
    await pipeline.complete(request('const a = clamp(v, 0, 1);\n▮'), token());
    assert.deepEqual(workspace.queries, ['const a = clamp(v, 0, 1);'], 'the lines before the cursor line');
    assert.equal(
      engine.calls[0].prompt,
      '// src/example.ts\n// Compare this snippet from src/math.ts:\n' +
        '// export function clamp(value: number, min: number, max: number): number {\n//   return Math.min(max, Math.max(min, value));\n// }\n' +
        'const a = clamp(v, 0, 1);\n',
    );
    assert.deepEqual(pipeline.lastPrompt?.snippets, ['src/math.ts:1-3']);
    assert.deepEqual(engine.calls[0].options.cache, { documentKey: 'file:///src/example.ts', languageId: 'js', cursorOffset: 'const a = clamp(v, 0, 1);\n'.length });
  });

  it('each setting turns its feature off: no search, no snippet, no copy model', async () => {
    for (const workspaceSettings of [{ cache: false, retrieval: false }, undefined]) {
      const engine = new FakeEngine(() => 'x');
      const workspace = fakeWorkspace();
      await new CompletionPipeline(engine, () => ({ ...settings, workspace: workspaceSettings }), { workspace }).complete(request('const a = clamp(v, 0, 1);\n▮'), token());
      assert.deepEqual([workspace.queries, workspace.targets], [[], []]);
      assert.equal(engine.calls[0].prompt, '// src/example.ts\nconst a = clamp(v, 0, 1);\n');
      assert.equal('cache' in engine.calls[0].options, false);
    }
    const engine = new FakeEngine(() => 'x');
    await new CompletionPipeline(engine, () => ({ ...settings, workspace: { cache: true, retrieval: false } }), { workspace: fakeWorkspace() }).complete(request('clamp();\n▮'), token());
    assert.equal(engine.calls[0].prompt, '// src/example.ts\nclamp();\n');
    assert.ok(engine.calls[0].options.cache);
  });

  it(`snippets take at most ${RETRIEVAL_SHARE * 100}% of the prefix budget; the prefix keeps the rest`, async () => {
    const engine = new FakeEngine(() => 'x');
    const long = Array.from({ length: 200 }, (_, i) => `const v${i} = clamp(x${i}, 0, 1);`).join('\n');
    const pipeline = new CompletionPipeline(engine, () => on, { workspace: fakeWorkspace(), charsPerToken: 3 });
    await pipeline.complete(request(`${long}\n▮`), token());
    const prompt = engine.calls[0].prompt;
    const budgetChars = settings.contextTokens * 3;
    const [, afterHeader] = prompt.split(/\n(.*)/s);
    assert.ok(afterHeader.length <= budgetChars, `${afterHeader.length} chars for a budget of ${budgetChars}`);
    assert.ok(prompt.includes('// Compare this snippet from src/math.ts:'));
    const prefixChars = afterHeader.length - afterHeader.lastIndexOf('// }\n') - 5;
    assert.ok(prefixChars > budgetChars * (1 - RETRIEVAL_SHARE) * 0.7 && prefixChars <= budgetChars * (1 - RETRIEVAL_SHARE), `prefix ${prefixChars} chars`);
  });
});
