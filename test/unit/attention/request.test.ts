import { strict as assert } from 'node:assert';
import { attentionRequestFor, completionAtCursor, type DocumentSlice } from '../../../src/attention/request';
import { attentionHtml } from '../../../src/extension/attentionHtml';

function docOf(text: string): DocumentSlice & { reads: number } {
  const d = {
    reads: 0,
    length: text.length,
    text: (s: number, e: number) => {
      d.reads += e - s;
      return text.slice(s, e);
    },
    lineAt: (offset: number) => (text.slice(0, offset).match(/\n/g) ?? []).length,
  };
  return d;
}

describe('attention request from an editor state', () => {
  it('a 5,000-line file: only a line-aligned window around the cursor is read', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `const v${i} = f(${i});`).join('\n');
    const doc = docOf(text);
    const cursor = text.indexOf('const v2500 =') + 8;
    const r = attentionRequestFor(doc, cursor, 64);
    assert.ok(doc.reads < 64 * 10 * 2 + 64 * 2 * 2, `read ${doc.reads} characters`);
    assert.ok(r.text.startsWith('const v') && r.baseOffset > 0 && text[r.baseOffset - 1] === '\n', 'starts at a line start');
    assert.equal(text.slice(r.baseOffset, r.baseOffset + r.text.length), r.text);
    assert.equal(r.baseLine, doc.lineAt(r.baseOffset));
    assert.ok(r.baseOffset <= cursor && cursor <= r.baseOffset + r.text.length);
    assert.deepEqual([r.cursor, r.maxTokens, r.rows, r.completion], [cursor, 64, [], null]);
  });

  it('with a completion the window ends where it is inserted', () => {
    const text = 'function add(a, b) {\n  return a + b;\n}\n';
    const at = text.indexOf('return') + 6;
    const r = attentionRequestFor(docOf(text), 999, 256, { text: ' a + b;', offset: at, inDocument: true });
    assert.equal(r.text, text.slice(0, at));
    assert.equal(r.cursor, at);
  });

  it('the last completion applies while shown at the cursor (same version) or accepted with the cursor at its end', () => {
    const text = 'let x = compute(1);';
    const doc = { uri: 'file:///a.ts', version: 3, text: (s: number, e: number) => text.slice(s, e), length: text.length };
    const record = { uri: 'file:///a.ts', offset: 8, text: 'compute(1);', version: 3 };
    assert.deepEqual(completionAtCursor(record, doc, 8), { text: 'compute(1);', offset: 8, inDocument: false });
    assert.deepEqual(completionAtCursor(record, { ...doc, version: 4 }, 19), { text: 'compute(1);', offset: 8, inDocument: true });
    assert.equal(completionAtCursor(record, { ...doc, version: 4 }, 8), null, 'edited since, cursor not at its end');
    assert.equal(completionAtCursor(record, doc, 12), null);
    assert.equal(completionAtCursor({ ...record, uri: 'file:///b.ts' }, doc, 8), null);
    assert.equal(completionAtCursor({ ...record, text: 'other(2);;;' }, { ...doc, version: 4 }, 19), null, 'the accepted text differs');
    assert.equal(completionAtCursor(null, doc, 8), null);
  });
});

describe('attention panel HTML', () => {
  const html = attentionHtml({ cspSource: 'https://webview.test', scriptUri: 'https://webview.test/p.js', styleUri: 'https://webview.test/a.css', nonce: 'N0nce' });

  it('has a strict CSP: our script by nonce, our stylesheet, nothing inline or remote', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    assert.match(csp, /^default-src 'none'; script-src 'nonce-N0nce'; style-src https:\/\/webview\.test;/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.deepEqual(scripts, ['<script nonce="N0nce" src="https://webview.test/p.js">']);
    assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i, 'no inline styles or handlers');
    assert.match(html, /id="status"[^>]*>No attention yet/);
  });
});
