import { strict as assert } from 'node:assert';
import { asFloat32, parseHostMessage, parseSnapshot, parseWebviewMessage } from '../../../src/attention/messages';
import { ATTENTION_REQUEST_FIELDS, ATTENTION_RESULT_FIELDS } from '../../../src/attention/workerProtocol';
import { uniformSnapshot } from './fixtures';

const rejects = (data: unknown, pattern: RegExp) => {
  const r = parseWebviewMessage(data);
  assert.ok(!r.ok, `accepted ${JSON.stringify(data)}`);
  assert.match(r.error, pattern);
};

describe('attention webview messages', () => {
  it('accepts each well-formed webview message and copies only its known fields', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { ok: true, message: { type: 'ready' } });
    assert.deepEqual(parseWebviewMessage({ type: 'requestRow', query: 12 }), { ok: true, message: { type: 'requestRow', query: 12 } });
    assert.deepEqual(parseWebviewMessage({ type: 'reveal', index: 0 }), { ok: true, message: { type: 'reveal', index: 0 } });
    assert.deepEqual(parseWebviewMessage({ type: 'setPinned', pinned: true }), { ok: true, message: { type: 'setPinned', pinned: true } });
    assert.deepEqual(parseWebviewMessage({ type: 'selection', query: 3, layer: 1, view: { kind: 'head', head: 2 } }), {
      ok: true,
      message: { type: 'selection', query: 3, layer: 1, view: { kind: 'head', head: 2 } },
    });
  });

  it('rejects malformed webview messages with a reason', () => {
    rejects(null, /must be an object/);
    rejects('ready', /must be an object/);
    rejects([{ type: 'ready' }], /must be an object/);
    rejects({}, /message.type must be one of/);
    rejects({ type: 'runCommand', command: 'workbench.action.terminal.new' }, /message.type must be one of/);
    rejects({ type: 'requestRow' }, /query must be a non-negative integer/);
    rejects({ type: 'requestRow', query: -1 }, /query must be a non-negative integer/);
    rejects({ type: 'requestRow', query: 1.5 }, /query must be a non-negative integer/);
    rejects({ type: 'requestRow', query: '3' }, /query must be a non-negative integer/);
    rejects({ type: 'requestRow', query: 1e12 }, /query must be a non-negative integer/);
    rejects({ type: 'requestRow', query: Number.NaN }, /query must be a non-negative integer/);
    rejects({ type: 'reveal', index: 1, html: '<img src=x onerror=alert(1)>' }, /unexpected fields/);
    rejects({ type: 'ready', extra: 1 }, /unexpected fields/);
    rejects({ type: 'setPinned', pinned: 'yes' }, /pinned must be a boolean/);
    rejects({ type: 'selection', query: 1, layer: 0, view: { kind: 'all' } }, /view.kind must be one of/);
    rejects({ type: 'selection', query: 1, layer: 0, view: { kind: 'head' } }, /view.head must be/);
    rejects({ type: 'selection', query: 1, layer: 0, view: { kind: 'mean', head: 1 } }, /unknown fields/);
    rejects({ type: 'selection', query: 1, layer: -2, view: { kind: 'mean' } }, /layer must be/);
    rejects(JSON.parse('{"type":"reveal","index":1,"__proto__":{"polluted":true}}'), /unexpected fields/);
  });

  it('snapshots round-trip and are checked against their own sizes', () => {
    const s = uniformSnapshot(['a', 'b', 'c'], 2, 2);
    const ok = parseSnapshot(s);
    assert.ok(ok.ok);
    assert.deepEqual(ok.message.tokens, s.tokens);
    // Typed arrays may arrive as plain arrays.
    assert.ok(parseSnapshot({ ...s, probs: Array.from(s.probs), rollout: Array.from(s.rollout) }).ok);
    const bad = (patch: Record<string, unknown>, pattern: RegExp) => {
      const r = parseSnapshot({ ...s, ...patch });
      assert.ok(!r.ok, JSON.stringify(Object.keys(patch)));
      assert.match(r.error, pattern);
    };
    bad({ probs: new Float32Array(3) }, /probs must hold 2×2×3×3/);
    bad({ rollout: 'x' }, /rollout must hold 3×3/);
    bad({ rows: [0, 0, 1] }, /rows must be ascending/);
    bad({ rows: [0, 1, 5] }, /rows must be ascending/);
    bad({ nHead: 0 }, /nLayer and nHead must be positive/);
    bad({ tokens: [{ id: 1, text: 3, start: 0, end: 1 }] }, /tokens\[0\] needs id, text/);
    bad({ queryToken: 3 }, /queryToken must be a token index/);
    bad({ generatedFrom: -2 }, /generatedFrom/);
  });

  it('host messages are validated by the webview too', () => {
    assert.ok(parseHostMessage({ type: 'snapshot', snapshot: uniformSnapshot(['a']), query: 0, view: { kind: 'mean' } }).ok);
    assert.ok(parseHostMessage({ type: 'cursor', index: 4 }).ok);
    assert.ok(!parseHostMessage({ type: 'cursor', index: -4 }).ok);
    assert.ok(!parseHostMessage({ type: 'unsupported', message: 'x' }).ok);
    assert.ok(!parseHostMessage({ type: 'eval', code: 'alert(1)' }).ok);
  });

  it('a snapshot carries the labels of retrieved snippets when given, and only strings', () => {
    const withSnippets = parseSnapshot({ ...uniformSnapshot(['a']), retrieved: ['src/math.ts:1-3'] });
    assert.ok(withSnippets.ok && withSnippets.message.retrieved?.[0] === 'src/math.ts:1-3');
    const bad = parseSnapshot({ ...uniformSnapshot(['a']), retrieved: [1] });
    assert.ok(bad.ok && bad.message.retrieved === undefined);
  });

  it('asFloat32 accepts typed arrays, buffers and number arrays only', () => {
    assert.deepEqual(Array.from(asFloat32([1, 2])!), [1, 2]);
    assert.deepEqual(Array.from(asFloat32(new Float32Array([3]).buffer)!), [3]);
    assert.deepEqual(Array.from(asFloat32(new Float64Array([0.5]))!).length, 2, 'other views are reinterpreted by bytes');
    assert.equal(asFloat32(['1']), null);
    assert.equal(asFloat32({ length: 2 }), null);
  });

  it('worker protocol field checks: attention request and result', () => {
    const check = (fields: typeof ATTENTION_REQUEST_FIELDS, v: Record<string, unknown>) =>
      Object.entries(fields).map(([k, c]) => c(v[k], `message.${k}`)).find((e) => e !== null) ?? null;
    const req = { id: 1, text: 'abc', baseOffset: 0, baseLine: 0, cursor: 3, maxTokens: 256, rows: [], completion: null };
    assert.equal(check(ATTENTION_REQUEST_FIELDS, req), null);
    assert.equal(check(ATTENTION_REQUEST_FIELDS, { ...req, completion: { text: 'x', offset: 3, inDocument: false } }), null);
    assert.match(check(ATTENTION_REQUEST_FIELDS, { ...req, maxTokens: 0 })!, /maxTokens must be in 1..4096/);
    assert.match(check(ATTENTION_REQUEST_FIELDS, { ...req, rows: [1, -1] })!, /rows\[1\] must be a non-negative integer/);
    assert.match(check(ATTENTION_REQUEST_FIELDS, { ...req, text: 'x'.repeat(70_000) })!, /longer than 65536 characters/);
    assert.match(check(ATTENTION_REQUEST_FIELDS, { ...req, completion: { text: 'x', offset: 3 } })!, /inDocument must be a boolean/);
    const snapshot = uniformSnapshot(['a', 'b']);
    assert.equal(check(ATTENTION_RESULT_FIELDS, { id: 1, outcome: { kind: 'ok', snapshot } }), null);
    assert.equal(check(ATTENTION_RESULT_FIELDS, { id: 1, outcome: { kind: 'unsupported', message: 'm', howTo: 'h' } }), null);
    assert.match(check(ATTENTION_RESULT_FIELDS, { id: 1, outcome: { kind: 'ok', snapshot: { ...snapshot, rollout: new Float32Array(1) } } })!, /rollout must hold/);
  });
});
