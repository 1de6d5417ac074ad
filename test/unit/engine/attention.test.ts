/**
 * The numbers the panel shows are the model's: on a random GPT-2 exported by the project's exporter
 * (no onnx/model_attentions.onnx: the worker derives the attention graph from the completion graph), the
 * worker's attention pipeline (tokenize -> attention graph on onnxruntime-node -> snapshot) gives, for the query token, exactly the attention
 * rows of the TypeScript reference forward pass (src/model/gpt.ts) on the same text, and its mean and
 * rollout equal those computed from the reference.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { headRow, meanOverHeads, rolloutMatrix, rolloutRows, weightsFor } from '../../../src/attention/aggregate';
import { FULL_MATRIX_MAX_VALUES, type AttentionSnapshot } from '../../../src/attention/types';
import type { AttentionOutcome, AttentionRequest } from '../../../src/attention/workerProtocol';
import { attentionForSession, computeAttention, type AttentionModel, type AttentionRun } from '../../../src/engine/attention';
import { startBackend } from '../../../src/engine/backend';
import { inspectModelFolder } from '../../../src/engine/modelFolder';
import { EngineSession } from '../../../src/engine/session';
import * as ort from 'onnxruntime-node';
import { withAttentionOutputs } from '../../../src/model/attentionGraph';
import { forward } from '../../../src/model/gpt';
import { gptFeeds } from '../../../src/model/gptFeeds';
import { tinyGpt2, variantOf } from './fixtures/tinyModels';

const TOL = 1e-4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function ok(outcome: AttentionOutcome): AttentionSnapshot {
  if (outcome.kind !== 'ok') assert.fail(`expected attention, got "${outcome.kind}": ${outcome.message}`);
  return outcome.snapshot;
}

const request = (text: string, patch: Partial<AttentionRequest> = {}): AttentionRequest => ({
  type: 'attention',
  id: 1,
  text,
  baseOffset: 0,
  baseLine: 0,
  cursor: text.length,
  maxTokens: 256,
  rows: [],
  completion: null,
  ...patch,
});

describe('engine/attention on a tiny exported GPT-2 (onnxruntime-node)', function () {
  this.timeout(120_000);
  const model = tinyGpt2();
  let session: EngineSession;
  const open = async (dir: string) => {
    const transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
    return EngineSession.open(transformers, inspectModelFolder(dir, { quantized: false }), { name: path.basename(dir), backend: 'native', threads: 1 });
  };

  before(async () => {
    session = await open(model.dir);
  });
  after(() => session?.dispose());

  /** Reference [H, T, T] per layer for the snapshot's token ids. */
  const referenceFor = (s: AttentionSnapshot) => forward(model.config, model.weights, s.tokens.map((t) => t.id)).attentions;

  it('every head of every layer: the query row equals the reference forward pass (≤ 1e-4); mean and rollout too', async () => {
    const text = 'export function greet(name: string): string {\r\n\treturn `hello ${name}`; // é €\n}\n';
    const cursor = text.indexOf('`hello') + 3; // inside the template string
    const s = ok(await attentionForSession(session, request(text, { baseOffset: 1000, baseLine: 40, cursor: 1000 + cursor })));

    // Tokens: the model's ids (our own encoder agrees), placed on the document text.
    assert.deepEqual(s.tokens.map((t) => t.id), model.tokenizer.encode(text));
    assert.equal(s.tokens.map((t) => t.text).join(''), text);
    assert.equal(s.tokens[0].start, 1000);
    assert.equal(s.tokens[s.tokens.length - 1].end, 1000 + text.length);
    const q = s.queryToken;
    assert.ok(s.tokens[q].start < 1000 + cursor && s.tokens[q].end >= 1000 + cursor, 'the query token holds the character left of the cursor');
    assert.equal(s.startLine, 40);
    assert.ok(s.full, 'a short window carries every row');
    assert.deepEqual([s.nLayer, s.nHead], [model.config.n_layer, model.config.n_head]);

    const ref = referenceFor(s);
    const T = s.tokens.length;
    const H = s.nHead;
    for (let l = 0; l < s.nLayer; l++) {
      for (let h = 0; h < H; h++) {
        const expected = ref[l].subarray((h * T + q) * T, (h * T + q + 1) * T);
        const got = headRow(s, l, h, q)!;
        assert.ok(maxAbsDiff(got, expected) <= TOL, `layer ${l} head ${h}: max |Δ| ${maxAbsDiff(got, expected)}`);
      }
      const mean = meanOverHeads(ref[l], H, T, T).subarray(q * T, (q + 1) * T);
      assert.ok(maxAbsDiff(weightsFor(s, { kind: 'mean' }, l, q)!, mean) <= TOL, `layer ${l} mean of heads`);
    }
    const rollout = rolloutMatrix(ref.map((A) => meanOverHeads(A, H, T, T)), T).subarray(q * T, (q + 1) * T);
    assert.ok(maxAbsDiff(weightsFor(s, { kind: 'rollout' }, 0, q)!, rollout) <= TOL, 'rollout');
    // Not a vacuous comparison: the model's attention is far from uniform.
    assert.ok(Math.max(...headRow(s, 1, 0, q)!) > 2 / (q + 1));
  });

  it('a long document is cut to maxTokens around the cursor; the weights are the model run on that window', async () => {
    const line = 'for (let i = 0; i < 10; i++) {\n  console.log(add(i, i * 2));\n}\n';
    const text = line.repeat(20);
    const cursor = Math.floor(text.length / 2);
    const s = ok(await attentionForSession(session, request(text, { cursor, maxTokens: 24 })));
    assert.equal(s.tokens.length, 24);
    assert.ok(s.tokens[0].start > 0 && s.tokens[23].end < text.length);
    assert.deepEqual(s.clipped, { before: true, after: true });
    assert.equal(s.startLine, (text.slice(0, s.tokens[0].start).match(/\n/g) ?? []).length);
    assert.equal(s.queryToken, 17, '3/4 of the window up to the query');
    const ref = referenceFor(s);
    const q = s.queryToken;
    assert.ok(maxAbsDiff(headRow(s, 0, 2, q)!, ref[0].subarray((2 * 24 + q) * 24, (2 * 24 + q + 1) * 24)) <= TOL);
  });

  it('the last completion: generated tokens follow the prompt; the query is the last prompt token', async () => {
    const prompt = 'function add(a, b) {\n  return';
    const s = ok(await attentionForSession(session, request(prompt, { completion: { text: ' a + b;', offset: prompt.length, inDocument: false } })));
    const gen = s.tokens.slice(s.generatedFrom);
    assert.equal(gen.map((t) => t.text).join(''), ' a + b;');
    assert.ok(gen.every((t) => t.generated && t.start === prompt.length && t.end === prompt.length), 'ghost text has no document range');
    assert.equal(s.queryToken, s.generatedFrom - 1);
    assert.ok(s.tokens.slice(0, s.generatedFrom).every((t) => !t.generated));
    // The completion's rows equal the reference on prompt + completion.
    const ref = referenceFor(s);
    const T = s.tokens.length;
    const g = T - 1;
    assert.ok(maxAbsDiff(headRow(s, 1, 3, g)!, ref[1].subarray((3 * T + g) * T, (3 * T + g + 1) * T)) <= TOL);

    const accepted = ok(await attentionForSession(session, request(prompt, { completion: { text: ' a + b;', offset: prompt.length, inDocument: true } })));
    assert.deepEqual(accepted.tokens.slice(accepted.generatedFrom).map((t) => [t.start, t.end]).at(-1), [prompt.length + 6, prompt.length + 7]);
  });

  it('int8 completions: the panel shows the int8 graph\'s own attention (no fp32 graph needed)', async () => {
    const int8Only = variantOf(model.dir, 'tiny-gpt2-int8-only', (dir) => fs.rmSync(path.join(dir, 'onnx', 'model.onnx')));
    const transformers = await startBackend('native', { wasmPaths: '', threads: 1 });
    // localGpt.quantized off on a folder with only the int8 graph (the VSIX's embedded model): int8, with a note for the log.
    const q8 = await EngineSession.open(transformers, inspectModelFolder(int8Only, { quantized: false }), { name: 'int8', backend: 'native', threads: 1 });
    try {
      assert.equal(q8.info.onnxFile, 'onnx/model_quantized.onnx');
      assert.match(q8.info.note ?? '', /onnx\/model\.onnx is missing .*\(localGpt\.quantized is off\); using the int8 graph onnx\/model_quantized\.onnx$/);
      const text = 'function add(a, b) {\n  return a + b;\n}\n';
      const s = ok(await attentionForSession(q8, request(text)));
      const ids = s.tokens.map((t) => t.id);
      const file = path.join(int8Only, 'onnx', 'model_quantized.onnx');
      const direct = await ort.InferenceSession.create(withAttentionOutputs(fs.readFileSync(file), file).bytes);
      const out = await direct.run(gptFeeds((type, data, dims) => new ort.Tensor(type, data, dims), model.config, ids));
      await direct.release();
      const T = ids.length;
      const q = s.queryToken;
      for (let l = 0; l < s.nLayer; l++) {
        for (let h = 0; h < s.nHead; h++) {
          const expected = (out[`decoder_attentions.${l}`].data as Float32Array).subarray((h * T + q) * T, (h * T + q + 1) * T);
          assert.deepEqual(Array.from(headRow(s, l, h, q)!), Array.from(expected), `layer ${l} head ${h}`);
        }
      }
    } finally {
      await q8.dispose();
    }
  });

  it('a model without attention outputs gets "unsupported" with how to export one', async () => {
    // A completion graph whose softmax outputs carry other names (other exporters), and no separate graph.
    const noGraph = variantOf(model.dir, 'tiny-gpt2-no-attentions', (dir) => {
      const file = path.join(dir, 'onnx', 'model.onnx');
      fs.writeFileSync(file, fs.readFileSync(file).toString('latin1').replaceAll('decoder_attentions.', 'softmax_outputs_xy.'), 'latin1');
    });
    const noOutputs = variantOf(model.dir, 'tiny-gpt2-plain-attentions', (dir) =>
      fs.copyFileSync(path.join(dir, 'onnx', 'model.onnx'), path.join(dir, 'onnx', 'model_attentions.onnx')),
    );
    for (const [dir, why] of [[noGraph, /model\.onnx has no decoder_attentions\.\* tensors and .*model_attentions\.onnx is missing/], [noOutputs, /has no decoder_attentions\.\* outputs/]] as const) {
      const other = await open(dir);
      try {
        const outcome = await attentionForSession(other, request('let x = 1;'));
        assert.equal(outcome.kind, 'unsupported');
        if (outcome.kind !== 'unsupported') return;
        assert.match(outcome.message, /does not expose attention/);
        assert.match(outcome.message, why);
        assert.match(outcome.howTo, /training\/export\.ts/);
        assert.match(outcome.howTo, /decoder_attentions\.0/);
      } finally {
        await other.dispose();
      }
    }
  });
});

describe('engine/attention row cap (fake model with many heads)', () => {
  /** Characters are tokens; attention of query i: uniform over 0..i in every head, except head 0 (one-hot on i-1). */
  function fakeModel(nLayer: number, nHead: number): AttentionModel & { runs: number } {
    const m = {
      runs: 0,
      name: 'fake',
      contextLength: 4096,
      tokenize: (text: string) => [...text].map((c) => ({ id: c.charCodeAt(0), bytes: new TextEncoder().encode(c), special: false })),
      pieces: (ids: readonly number[]) => ids.map((id) => ({ id, bytes: new TextEncoder().encode(String.fromCharCode(id)), special: false })),
      unsupportedReason: async () => null,
      run: async (ids: readonly number[]): Promise<AttentionRun> => {
        m.runs++;
        const T = ids.length;
        const layers = Array.from({ length: nLayer }, () => {
          const A = new Float32Array(nHead * T * T);
          for (let h = 0; h < nHead; h++) {
            for (let i = 0; i < T; i++) {
              if (h === 0) A[(h * T + i) * T + Math.max(0, i - 1)] = 1;
              else for (let k = 0; k <= i; k++) A[(h * T + i) * T + k] = 1 / (i + 1);
            }
          }
          return A;
        });
        return { nHead, layers };
      },
    };
    return m;
  }

  it('long windows carry only the cursor row and the asked-for rows; rollout rows match the full computation', async () => {
    const L = 4;
    const H = 64;
    const T = 200;
    assert.ok(L * H * T * T > FULL_MATRIX_MAX_VALUES);
    const fake = fakeModel(L, H);
    const cache = { last: null };
    const text = 'x'.repeat(T);
    const s = ok(await computeAttention(fake, request(text, { cursor: 150, rows: [10, 199, 500] }), cache));
    assert.equal(s.full, false);
    assert.deepEqual(s.rows, [10, 149, 199], 'query 149 plus the asked rows inside the window');
    assert.equal(s.probs.length, L * H * 3 * T);
    assert.equal(headRow(s, 2, 0, 149)![148], 1);
    const run = await fake.run(s.tokens.map((t) => t.id));
    const means = run.layers.map((A) => meanOverHeads(A, H, T, T));
    assert.ok(maxAbsDiff(weightsFor(s, { kind: 'rollout' }, 0, 10)!, rolloutRows(means, T, [10])) < 1e-6);

    // Asking for another row of the same window reuses the last forward pass.
    const runsBefore = fake.runs;
    const again = ok(await computeAttention(fake, request(text, { cursor: 150, rows: [20] }), cache));
    assert.deepEqual(again.rows, [20, 149]);
    assert.equal(fake.runs, runsBefore);
  });
});
