/**
 * The attention panel's page in a real browser (headless Chromium through playwright-core), outside VS Code:
 * the bundled script (src/webview -> esbuild, as esbuild.js builds it) under the production HTML and CSP,
 * with a stand-in for acquireVsCodeApi. A document full of HTML is shown as text and runs nothing; clicks,
 * keys and the layer/head selectors change the highlighted weights; malformed host messages are ignored.
 * Screenshot: test-results/attention/panel.png.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../../harness/browser';
import { CHROMIUM, REPO_ROOT } from '../../harness/codeServer';
import { attentionHtml } from '../../../src/extension/attentionHtml';
import { syntheticSnapshot } from './syntheticSnapshot';

/** The page's globals as seen from Node (this file is type-checked without the DOM library). */
interface PageWindow {
  __posted: { type: string; query?: number }[];
  postMessage(message: unknown, targetOrigin: string): void;
  document: { activeElement: { getAttribute(name: string): string | null } | null };
}
// Callbacks passed to page.evaluate run in the page, so they spell out `(globalThis as unknown as PageWindow)`
// (a helper function defined here would not exist there).

/** A few of the theme variables VS Code defines in every webview (Dark Modern). */
const THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: 'DejaVu Sans Mono', monospace; --vscode-editor-font-size: 13px;
  --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-focusBorder: #0078d4;
  --vscode-editor-background: #1f1f1f; --vscode-sideBar-background: #181818; --vscode-charts-orange: #d18616;
  --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff;
  --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc; --vscode-button-secondaryHoverBackground: #3c3c3c;
  --vscode-dropdown-background: #313131; --vscode-dropdown-foreground: #cccccc; --vscode-dropdown-border: #3c3c3c;
  --vscode-editor-selectionBackground: #264f78; --vscode-panel-border: #2b2b2b; --vscode-textCodeBlock-background: #2b2b2b;
  --vscode-list-hoverBackground: #2a2d2e; --vscode-editorWarning-foreground: #cca700; --vscode-editorWidget-border: #454545;
}
body { background: var(--vscode-sideBar-background); width: 340px; }`;

export const XSS_DOCUMENT = [
  '// <img src=x onerror=alert(1)> </script><script>alert(2)</script>',
  'export function greet(name: string): string {',
  '\tconst html = "<b onclick=alert(3)>" + name + "</b>";\r',
  '  return `hello ${name}` + html; // é € 😀',
  '}',
  'greet(',
].join('\n');

describe('attention panel page in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let server: http.Server;
  let page: Page;
  const dialogs: string[] = [];
  const consoleLines: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-gpt-panel-'));

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip(); // reported as pending: no browser on this machine
    await esbuild.build({ entryPoints: [path.join(REPO_ROOT, 'src/webview/attentionPanel.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: path.join(tmp, 'attentionPanel.js'), logLevel: 'error' });
    fs.copyFileSync(path.join(REPO_ROOT, 'media/attention.css'), path.join(tmp, 'attention.css'));
    fs.writeFileSync(path.join(tmp, 'theme.css'), THEME);
    server = http.createServer((req, res) => {
      const file = path.join(tmp, path.basename(req.url ?? '/') || 'index.html');
      if (!fs.existsSync(file)) return void res.writeHead(404).end();
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const nonce = 'test-nonce-123';
    let html = attentionHtml({ cspSource: origin, scriptUri: `${origin}/attentionPanel.js`, styleUri: `${origin}/attention.css`, nonce });
    // What VS Code adds around every webview: theme variables and acquireVsCodeApi (here recording the posts).
    html = html.replace('<title>', `<link rel="stylesheet" href="${origin}/theme.css"><title>`);
    html = html.replace(
      `<script nonce="${nonce}" src`,
      `<script nonce="${nonce}">window.__posted = []; let st; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => st, setState: (s) => { st = s; } });</script>\n<script nonce="${nonce}" src`,
    );
    fs.writeFileSync(path.join(tmp, 'index.html'), html);
    browser = await launchBrowser();
    page = browser.page;
    await page.setViewportSize({ width: 360, height: 980 });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction(() => (globalThis as unknown as PageWindow).__posted.some((m) => m.type === 'ready'));
  });
  after(async () => {
    await browser?.close();
    server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Posts a host message; typed arrays are rebuilt in the page (Playwright passes plain JSON). */
  const base64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const postSnapshot = (snapshot: ReturnType<typeof syntheticSnapshot>, extra: Record<string, unknown> = {}) =>
    page.evaluate(
      // (No named helpers in here: tsx would wrap them in a __name() call the page does not have.)
      ([s, probs, rollout, ex]) =>
        (globalThis as unknown as PageWindow).postMessage(
          {
            type: 'snapshot',
            snapshot: {
              ...s,
              probs: new Float32Array(Uint8Array.from(atob(probs), (c) => c.charCodeAt(0)).buffer),
              rollout: new Float32Array(Uint8Array.from(atob(rollout), (c) => c.charCodeAt(0)).buffer),
            },
            ...ex,
          },
          '*',
        ),
      [{ ...snapshot, probs: undefined, rollout: undefined }, base64(snapshot.probs), base64(snapshot.rollout), extra] as const,
    );
  const backgrounds = () => page.$$eval('#tokens .tok', (els) => els.map((e) => (e as unknown as { style: { backgroundColor: string } }).style.backgroundColor));
  const posted = () => page.evaluate(() => (globalThis as unknown as PageWindow).__posted);

  it('shows the empty state until the host sends weights', async () => {
    assert.match(await page.locator('#status').innerText(), /No attention yet/);
    assert.equal(await page.locator('#tokens').isVisible(), false);
  });

  it('document text with HTML and </script> is shown as characters and runs nothing', async () => {
    const snapshot = syntheticSnapshot(XSS_DOCUMENT);
    await postSnapshot(snapshot);
    await page.locator('#tokens .tok').first().waitFor();
    const shown = await page.locator('#tokens').innerText();
    for (const s of ['<img src=x onerror=alert(1)>', '</script><script>alert(2)</script>', '"<b onclick=alert(3)>"', 'é € 😀']) {
      assert.ok(shown.includes(s), `the panel shows ${s}`);
    }
    assert.equal(await page.locator('#tokens img, #tokens script, #tokens b, img, b').count(), 0, 'no element was created from document text');
    assert.equal(await page.locator('#tokens .tok').count(), snapshot.tokens.length);
    // Tabs and line breaks are real characters in the page; CRLF stays one line break.
    const text = await page.$eval('#tokens', (e) => e.textContent ?? '');
    assert.ok(text.includes('\tconst'), 'tab kept');
    assert.equal((text.match(/\n/g) ?? []).length, 5, 'five line breaks, CRLF counted once');
    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, [], 'no alert() ran');
    assert.deepEqual(consoleLines.filter((l) => /pageerror|Content Security Policy/.test(l)), []);
    // The query is the last token and the summary names its most-attended tokens.
    assert.match(await page.locator('#headline').innerText(), /To predict what comes after “\(” \(line 6\), the model looked most at/);
    assert.equal(await page.locator('#ranked li').count(), 8);
    assert.match(await page.locator('#caveat').innerText(), /not a full explanation/);
  });

  it('clicking a token makes it the query and changes the highlighted weights; arrows move it', async () => {
    const before = await backgrounds();
    const target = page.locator('#tokens .tok', { hasText: 'greet' }).first();
    await target.click();
    assert.equal(await target.getAttribute('aria-selected'), 'true');
    const after = await backgrounds();
    assert.notDeepEqual(after, before);
    const index = Number(await target.getAttribute('data-i'));
    assert.ok(after.slice(index).every((b) => b === ''), 'tokens after the query are not coloured');
    assert.ok(after.slice(0, index).some((b) => b.includes('color-mix')), 'earlier tokens are coloured');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('#tokens .tok[aria-selected="true"]').getAttribute('data-i'), String(index + 1));
    await page.keyboard.press('Home');
    assert.equal(await page.locator('#tokens .tok[aria-selected="true"]').getAttribute('data-i'), '0');
    await page.keyboard.press('End');
    const last = (await page.locator('#tokens .tok').count()) - 1;
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageWindow).document.activeElement?.getAttribute('data-i')), String(last), 'focus follows the query');
    const selections = (await posted()).filter((m) => m.type === 'selection');
    assert.ok(selections.length >= 3, 'the host hears about selection changes');
  });

  it('layer, head and grid selection change the weights; the readout shows exact values', async () => {
    const rollout = await backgrounds();
    await page.selectOption('#layer', '1');
    assert.equal(await page.locator('#view-title').innerText(), 'Layer 2 · mean of 4 heads');
    const mean = await backgrounds();
    assert.notDeepEqual(mean, rollout);
    await page.selectOption('#head', '2');
    assert.equal(await page.locator('#view-title').innerText(), 'Layer 2 · head 3');
    const head = await backgrounds();
    assert.notDeepEqual(head, mean);
    await page.locator('#grid button.cell[data-layer="3"][data-head="0"]').click();
    assert.equal(await page.locator('#view-title').innerText(), 'Layer 4 · head 1');
    assert.equal(await page.locator('#grid button.cell[data-layer="3"][data-head="0"]').getAttribute('aria-pressed'), 'true');
    assert.notDeepEqual(await backgrounds(), head);
    await page.locator('#tokens .tok').nth(3).hover();
    assert.match(await page.locator('#readout').innerText(), /← \d+(\.\d+)?% \(0\.\d{5}\) · line 1/);
    await page.selectOption('#layer', 'rollout');
    assert.equal(await page.locator('#head').isDisabled(), true);
  });

  it('malformed host messages are ignored; a partial snapshot asks the host for a missing row', async () => {
    const before = await page.locator('#tokens').innerText();
    await page.evaluate(() => {
      (globalThis as unknown as PageWindow).postMessage({ type: 'snapshot', snapshot: { nLayer: 1 } }, '*');
      (globalThis as unknown as PageWindow).postMessage({ type: 'eval', code: 'alert(4)' }, '*');
      (globalThis as unknown as PageWindow).postMessage('<img src=x onerror=alert(5)>', '*');
    });
    await page.waitForTimeout(200);
    assert.equal(await page.locator('#tokens').innerText(), before);
    assert.ok(consoleLines.some((l) => l.includes('ignored a message from the extension')));
    const partial = syntheticSnapshot('let a = 1;\nlet b = a;\n');
    const keep = [partial.queryToken];
    const T = partial.tokens.length;
    const probs = new Float32Array(partial.nLayer * partial.nHead * T);
    for (let lh = 0; lh < partial.nLayer * partial.nHead; lh++) probs.set(partial.probs.subarray((lh * T + keep[0]) * T, (lh * T + keep[0] + 1) * T), lh * T);
    await postSnapshot({ ...partial, rows: keep, full: false, probs, rollout: partial.rollout.slice(keep[0] * T, (keep[0] + 1) * T) });
    await page.locator('#tokens .tok').nth(2).click();
    await page.waitForFunction(() => (globalThis as unknown as PageWindow).__posted.some((m) => m.type === 'requestRow' && m.query === 2));
    assert.match(await page.locator('#headline').innerText(), /Computing the weights of/);
    assert.deepEqual(dialogs, []);
  });

  it('looks right (screenshot for review)', async () => {
    await postSnapshot(syntheticSnapshot(XSS_DOCUMENT));
    await page.locator('#tokens .tok', { hasText: 'name' }).last().click();
    const out = path.join(REPO_ROOT, 'test-results', 'attention');
    fs.mkdirSync(out, { recursive: true });
    await page.screenshot({ path: path.join(out, 'panel.png'), fullPage: true });
  });
});
