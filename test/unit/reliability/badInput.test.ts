/**
 * Bad input, table-driven: huge lines and documents (the window is capped), binary-looking text
 * (skipped without running the model), CRLF documents, settings of the wrong type or range, and
 * model settings with `..`.
 */
import { strict as assert } from 'node:assert';
import { CompletionPipeline, type CompletionEngine, type EngineReply } from '../../../src/completion/pipeline';
import { matchLineEndings } from '../../../src/completion/postprocess';
import { normalizeSettings, type Settings } from '../../../src/config/settings';
import type { GenerationOptions } from '../../../src/engine/protocol';
import { hubModelDir, isHubId, resolveModelSetting } from '../../../src/engine/modelSource';

/** An engine that records prompts and answers with a fixed text. */
function fakeEngine(answer: string) {
  const prompts: string[] = [];
  const engine: CompletionEngine = {
    capabilities: { fim: 'psm' },
    contextLength: 512,
    complete: (prompt: string, _options: GenerationOptions): Promise<EngineReply | null> => {
      prompts.push(prompt);
      return Promise.resolve({ text: answer, stopReason: 'stop', timings: { promptTokens: 10, reusedTokens: 0, prefillMs: 1, decodeMs: 1, tokensPerSecond: 1 } });
    },
  };
  return { engine, prompts };
}
const settings = () => ({ ...normalizeSettings({}).settings, debounceMs: 0 });
const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };

describe('reliability/badInput', function () {
  this.timeout(60000);

  const documents: { name: string; text: string; offset: number; maxPromptChars: number }[] = [
    { name: 'a 100k-character line', text: `const x = "${'a'.repeat(100_000)}`, offset: 100_011, maxPromptChars: 4000 },
    { name: 'a 20 MB document, cursor in the middle', text: 'let v = 1;\n'.repeat(2_000_000), offset: 11_000_000, maxPromptChars: 4000 },
    { name: 'a 20 MB single line', text: 'x'.repeat(20_000_000), offset: 10_000_000, maxPromptChars: 4000 },
  ];
  for (const d of documents) {
    it(`${d.name}: the prompt holds only a window around the cursor`, async () => {
      const { engine, prompts } = fakeEngine('1;');
      const pipeline = new CompletionPipeline(engine, settings);
      const started = performance.now();
      await pipeline.complete({ text: d.text, offset: d.offset, languageId: 'typescript', relativePath: 'a.ts', documentKey: 'k' }, never);
      const ms = performance.now() - started;
      assert.equal(prompts.length, 1);
      assert.ok(prompts[0].length <= d.maxPromptChars, `prompt of ${prompts[0].length} characters`);
      console.log(`      ${d.name}: prompt ${prompts[0].length} chars, ${ms.toFixed(0)} ms`);
    });
  }

  const binary: [string, string][] = [
    ['NUL before the cursor', 'abc\u0000\u0001\u0002def\n'],
    ['NUL after the cursor', 'function f() {\n|\u0000\u0000\u0000'],
  ];
  for (const [name, text] of binary) {
    it(`binary-looking text (${name}): no completion and no model run, silently`, async () => {
      const { engine, prompts } = fakeEngine('x');
      const pipeline = new CompletionPipeline(engine, settings);
      const offset = text.includes('|') ? text.indexOf('|') : text.length;
      const result = await pipeline.complete({ text: text.replace('|', ''), offset, languageId: 'plaintext', relativePath: 'a.bin', documentKey: 'b' }, never);
      assert.deepEqual(result, { kind: 'none', reason: 'binary' });
      assert.deepEqual(prompts, []);
    });
  }

  it('CRLF document: the prompt keeps the CRLF prefix/suffix text, the completion is served', async () => {
    const { engine, prompts } = fakeEngine(' a + b;');
    const pipeline = new CompletionPipeline(engine, settings);
    const text = 'function add(a, b) {\r\n  return\r\n}\r\n';
    const offset = text.indexOf('return') + 'return'.length;
    const result = await pipeline.complete({ text, offset, languageId: 'typescript', relativePath: 'a.ts', documentKey: 'c' }, never);
    assert.ok(prompts[0].includes('function add(a, b) {\r\n  return'), JSON.stringify(prompts[0]));
    assert.deepEqual(result.kind === 'suggestion' ? result.text : result, ' a + b;');
  });

  it('CRLF document, multi-line completion: the text inserted (as the provider passes it) keeps the document all-CRLF', async () => {
    const { engine } = fakeEngine('\n  const sum = a + b;\r\n  return sum;\n}');
    const pipeline = new CompletionPipeline(engine, () => ({ ...settings(), multiline: 'always' as const }));
    const text = 'function add(a, b) {\r\n  \r\n}\r\n';
    const offset = text.indexOf('{') + 1;
    const result = await pipeline.complete({ text, offset, languageId: 'typescript', relativePath: 'a.ts', documentKey: 'crlf' }, never);
    assert.ok(result.kind === 'suggestion' && result.text.includes('\n'), `a multi-line completion: ${JSON.stringify(result)}`);
    const inserted = matchLineEndings(result.text, '\r\n');
    const after = text.slice(0, offset) + inserted + text.slice(offset);
    assert.equal(after.replace(/\r\n/g, '').includes('\n') || after.replace(/\r\n/g, '').includes('\r'), false, JSON.stringify(after));
    assert.equal(inserted.replace(/\r\n/g, '\n'), result.text, 'only the line breaks change');
  });

  // [case, raw settings, the setting, the value used, the warning], exact: the clamp or default is known.
  const badSettings: [string, Record<string, unknown>, keyof Settings, unknown, string | null][] = [
    ['negative maxNewTokens', { maxNewTokens: -5 }, 'maxNewTokens', 1, 'localGpt.maxNewTokens: -5 is below the minimum 1; using 1.'],
    ['huge maxNewTokens', { maxNewTokens: 1e12 }, 'maxNewTokens', 256, 'localGpt.maxNewTokens: 1000000000000 is above the maximum 256; using 256.'],
    ['NaN temperature', { temperature: NaN }, 'temperature', 0, 'localGpt.temperature: NaN is not a number; using the default 0.'],
    ['string topK', { topK: '40' }, 'topK', 40, 'localGpt.topK: "40" is not an integer; using the default 40.'],
    ['object debounceMs', { debounceMs: { __proto__: { x: 1 } } }, 'debounceMs', 75, 'localGpt.debounceMs: [object Object] is not an integer; using the default 75.'],
    ['boolean model', { model: true }, 'model', '', 'localGpt.model: true is not a string; using the default "".'],
    ['Infinity contextTokens', { contextTokens: Infinity }, 'contextTokens', 384, 'localGpt.contextTokens: Infinity is not an integer; using the default 384.'],
    ['negative topP', { topP: -1 }, 'topP', 0, 'localGpt.topP: -1 is below the minimum 0; using 0.'],
    ['topP 0 (valid: the most likely token alone)', { topP: 0 }, 'topP', 0, null],
  ];
  for (const [name, raw, key, value, warning] of badSettings) {
    it(`settings: ${name} -> ${JSON.stringify(value)}${warning ? ' and a warning naming the setting' : ''}, never a throw`, () => {
      const n = normalizeSettings(raw);
      assert.deepEqual(n.settings[key], value);
      assert.deepEqual(n.warnings, warning ? [warning] : []);
    });
  }


  const modelSettings: [string, RegExp | 'local' | 'hub'][] = [
    ['../../etc', /relative to the workspace, and no workspace folder is open/], // no workspace in this test
    ['a/../../etc', /neither a folder .* nor a Hugging Face model id/],
    ['owner/..', /neither a folder .* nor a Hugging Face model id/],
    ['owner/name@..', /neither a folder .* nor a Hugging Face model id/],
    ['owner/name@../../x', /neither a folder .* nor a Hugging Face model id/],
    ['/models/../models/tiny', 'local'], // an absolute folder the user chose: normalised, allowed
    ['owner/name', 'hub'],
  ];
  for (const [value, expected] of modelSettings) {
    it(`localGpt.model ${JSON.stringify(value)} -> ${typeof expected === 'string' ? expected : 'a clear error'}`, () => {
      const r = resolveModelSetting(value, '/ext', 'embedded-model', { home: '/home/u' });
      if (typeof expected === 'string') {
        assert.ok(r.ok && r.source.kind === expected, JSON.stringify(r));
        if (r.ok && r.source.kind === 'local') assert.equal(r.source.dir, '/models/tiny');
      } else {
        assert.ok(!r.ok && expected.test(r.error) && r.error.includes(JSON.stringify(value)), JSON.stringify(r));
      }
    });
  }

  it('hubModelDir refuses ids that would leave the cache folder (requests that bypass the setting check)', () => {
    assert.equal(hubModelDir('/cache', 'owner/name', 'main'), '/cache/models/owner--name@main');
    for (const [id, rev] of [['a/../../x', 'main'], ['../../etc', 'main'], ['owner/name', '..'], ['a/b/../../../c', 'main']]) {
      assert.equal(isHubId(id, rev), false, id);
      assert.throws(() => hubModelDir('/cache', id, rev), /is not a Hugging Face model id/);
    }
  });
});
