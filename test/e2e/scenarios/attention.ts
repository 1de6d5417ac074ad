import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { formatWeight } from '../../../src/attention/rank';
import { REPO_ROOT } from '../../harness/codeServer';
import { tinyGpt2 } from '../../unit/engine/fixtures/tinyModels';
import { setWorkspaceSettings } from '../lib/workspaceSettings';
import type { Scenario, ScenarioContext } from '../lib/scenario';

/**
 * Explain Attention as a user sees it: the palette command on a TypeScript file highlights the tokens the
 * prediction looked at (editor decorations) and opens the Attention panel with the explanation; the panel
 * lists the window's tokens; clicking a token and switching layer/head change the highlighted weights;
 * a document full of HTML (`<img src=x onerror=alert(1)>`, `</script>`) shows those characters in the
 * panel and runs nothing (no dialog). Runs the embedded model of the installed VSIX: the attention graph is
 * derived from its int8 completion graph (no separate attention graph ships).
 */

const XSS_FILE = 'src/xss.ts';
const XSS_TEXT = [
  '// <img src=x onerror=alert(1)> </script><script>alert(2)</script>',
  'const html = "<b onclick=alert(3)>" + name + "</b>";',
  "document.body.innerHTML = '<svg onload=alert(4)>';",
  'render(',
].join('\n');

/** The Attention panel's document (the only webview the workbench shows here). */
function panel(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

/** Inline backgrounds of the panel's tokens (what the weights look like). */
async function tokenBackgrounds(page: Page): Promise<string[]> {
  return panel(page)
    .locator('#tokens .tok')
    .evaluateAll((els) => els.map((e) => (e as unknown as { style: { backgroundColor: string } }).style.backgroundColor));
}

async function waitUntil(page: Page, what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await page.waitForTimeout(150);
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
}

/**
 * The selected token's row as the panel states it: each token's tooltip gives its exact weight for the
 * tokens up to the selected one and says "not visible" after it.
 */
async function shownRow(page: Page): Promise<{ query: number; weights: number[] }> {
  const toks = await panel(page)
    .locator('#tokens .tok')
    .evaluateAll((els) => els.map((e) => ({ i: Number(e.getAttribute('data-i')), title: e.getAttribute('title') ?? '', selected: e.getAttribute('aria-selected') === 'true' })));
  const query = toks.findIndex((t) => t.selected);
  if (query < 0) throw new Error('no selected token in the panel');
  const weights: number[] = [];
  for (const t of toks) {
    if (t.i > query) {
      if (t.title !== 'after the selected token: not visible to it') throw new Error(`token ${t.i} after the selected ${query} has the title ${JSON.stringify(t.title)}`);
      continue;
    }
    const m = /\((\d+\.\d+)\)$/.exec(t.title);
    if (!m) throw new Error(`token ${t.i} (up to the selected ${query}) shows no weight: ${JSON.stringify(t.title)}`);
    weights.push(Number(m[1]));
  }
  return { query, weights };
}

/**
 * The numbers are attention probabilities of one causal row: each in [0, 1] and together 1 (the tooltips
 * round to 6 decimals), for the selected token and nothing after it.
 */
async function expectProbabilityRow(page: Page, what: string): Promise<number[]> {
  const { query, weights } = await shownRow(page);
  if (weights.length !== query + 1) throw new Error(`${what}: ${weights.length} weights for query ${query}`);
  const bad = weights.findIndex((w) => !(w >= 0 && w <= 1));
  if (bad >= 0) throw new Error(`${what}: weight ${weights[bad]} of token ${bad} is not a probability`);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-3) throw new Error(`${what}: the weights of query ${query} sum to ${sum}, not 1`);
  return weights;
}

/** Editor decorations with a background (VS Code renders them as `cdr ced-…` boxes in the view overlays). */
const HIGHLIGHTS = '.editor-instance .monaco-editor .view-overlays .cdr[class*="ced-"]';

/**
 * Quick Open ":line:column" (in code-server Ctrl+G lands in file search), checked in the status bar
 * ("Ln 9, Col 27") and retried: under load a key can be lost.
 */
async function goTo(ctx: ScenarioContext, line: number, column: number): Promise<void> {
  const { page } = ctx;
  const want = `Ln ${line}, Col ${column}`;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 0; attempt < 4; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`:${line}:${column}`);
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const texts = await page.locator('.part.statusbar .statusbar-item').allInnerTexts();
      if (texts.some((t) => t.includes(want))) return;
      await page.waitForTimeout(200);
    }
  }
  throw new Error(`the cursor did not reach ${want}`);
}

/** Runs the command and waits until the panel shows the new window (its tokens contain `expect`). */
async function explainFromPalette(ctx: ScenarioContext, expect: string): Promise<void> {
  const { wb, page } = ctx;
  await wb.runCommand('Local GPT: Explain Attention');
  await waitUntil(page, `the panel shows an explanation of a window with ${JSON.stringify(expect)} (or a problem)`, async () => {
    const body = panel(page).locator('body');
    const status = await body.getAttribute('data-status', { timeout: 1000 });
    if (status === 'error' || status === 'unsupported') {
      throw new Error(`the panel reports ${status}: ${await panel(page).locator('#status').innerText()}`);
    }
    if (status !== 'ready' || (await body.getAttribute('data-busy', { timeout: 1000 })) !== 'false') return false;
    return (await panel(page).locator('#tokens').innerText({ timeout: 1000 })).includes(expect);
  }, 120_000);
}

export const scenario: Scenario = {
  name: 'attention',
  async run(ctx) {
    const { wb, step, page, server, log } = ctx;
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    await step('use the embedded model', async () => {
      setWorkspaceSettings(server, { 'localGpt.model': undefined });
      fs.writeFileSync(path.join(server.workspace, XSS_FILE), XSS_TEXT);
      await page.waitForTimeout(1000);
    });

    await step('Explain Attention from the palette highlights tokens and explains them', async () => {
      await wb.openFile('src/greet.ts');
      await goTo(ctx, 9, '  return `Hello, ${person.'.length + 1); // after "person." in greet()
      await explainFromPalette(ctx, 'export function greet(');
      await waitUntil(page, 'editor highlights', async () => (await page.locator(HIGHLIGHTS).count()) > 0);
      const headline = await panel(page).locator('#headline').innerText();
      if (!/^To predict what comes after “\.” \(line 9\), the model looked most at /.test(headline)) throw new Error(`headline: ${headline}`);
      const caveat = await panel(page).locator('#caveat').innerText();
      if (!caveat.includes('not a full explanation')) throw new Error(`caveat: ${caveat}`);
      const weights = await expectProbabilityRow(page, 'rollout');
      // The headline's first share is the largest weight on an earlier token, as the tooltips state it.
      const largest = Math.max(...weights.slice(0, -1));
      const first = /looked most at “[^”]*” (\S+%)/.exec(headline)?.[1];
      if (first !== formatWeight(largest)) throw new Error(`the headline's first share ${first} is not the largest weight ${formatWeight(largest)}: ${headline}`);
      log(`${await page.locator(HIGHLIGHTS).count()} highlight boxes; ${headline}`);
    });

    let before: string[] = [];
    await step('the panel lists the window’s tokens', async () => {
      const count = await panel(page).locator('#tokens .tok').count();
      const text = await panel(page).locator('#tokens').innerText();
      if (count < 20 || !text.includes('export function greet(person: Person): string {')) {
        throw new Error(`${count} tokens; text ${JSON.stringify(text.slice(0, 200))}`);
      }
      before = await tokenBackgrounds(page);
    });

    await step('clicking a token changes the highlighted weights', async () => {
      const query = Number(await panel(page).locator('#tokens .tok[aria-selected="true"]').getAttribute('data-i'));
      const target = panel(page).locator(`#tokens .tok[data-i="${Math.floor(query / 2)}"]`);
      await target.click();
      await waitUntil(page, 'the clicked token is selected', async () => (await target.getAttribute('aria-selected')) === 'true');
      const after = await tokenBackgrounds(page);
      if (JSON.stringify(after) === JSON.stringify(before)) throw new Error('the weights did not change');
      before = after;
      const row = await shownRow(page);
      if (row.query !== Math.floor(query / 2)) throw new Error(`the panel's row is for token ${row.query}, not the clicked ${Math.floor(query / 2)}`);
      await expectProbabilityRow(page, `rollout, query ${row.query}`);
    });

    await step('switching layer and head changes them', async () => {
      await panel(page).locator('#layer').selectOption('0');
      const layer = await tokenBackgrounds(page);
      if (JSON.stringify(layer) === JSON.stringify(before)) throw new Error('layer 1 shows the same weights as rollout');
      const meanOfHeads = await expectProbabilityRow(page, 'layer 1, mean of heads');
      await panel(page).locator('#head').selectOption('1');
      const head = await tokenBackgrounds(page);
      if (JSON.stringify(head) === JSON.stringify(layer)) throw new Error('head 2 shows the same weights as the mean of heads');
      const head2 = await expectProbabilityRow(page, 'layer 1, head 2');
      if (head2.every((w, i) => Math.abs(w - meanOfHeads[i]) < 1e-6)) throw new Error('head 2 states the same numbers as the mean of heads');
      const title = await panel(page).locator('#view-title').innerText();
      if (title !== 'Layer 1 · head 2') throw new Error(`view title ${title}`);
      await panel(page).locator('#layer').selectOption('rollout');
    });

    await step('a document full of HTML shows as text in the panel and runs nothing', async () => {
      await wb.openFile(XSS_FILE);
      await page.keyboard.press('Control+End');
      await explainFromPalette(ctx, 'render(');
      const shown = await panel(page).locator('#tokens').innerText();
      for (const s of ['<img src=x onerror=alert(1)>', '</script><script>alert(2)</script>', '"<b onclick=alert(3)>"', "'<svg onload=alert(4)>'"]) {
        if (!shown.includes(s)) throw new Error(`the panel does not show ${s}: ${JSON.stringify(shown)}`);
      }
      const elements = await panel(page).locator('img, svg, b, #tokens script').count();
      if (elements > 0) throw new Error(`${elements} element(s) were created from document text`);
      await page.waitForTimeout(500);
      if (dialogs.length > 0) throw new Error(`a dialog fired: ${dialogs.join(' | ')}`);
    });

    await step('typing clears the highlights', async () => {
      await page.locator('.editor-instance .monaco-editor textarea').first().focus();
      await waitUntil(page, 'highlights on the XSS file', async () => (await page.locator(HIGHLIGHTS).count()) > 0);
      await wb.type(' x');
      await waitUntil(page, 'highlights gone after an edit', async () => (await page.locator(HIGHLIGHTS).count()) === 0);
    });

    await step('clean up', async () => {
      await wb.runCommand('File: Revert File');
      await wb.runCommand('View: Close All Editors');
      setWorkspaceSettings(server, { 'localGpt.model': undefined });
      fs.rmSync(path.join(server.workspace, XSS_FILE), { force: true });
    });
  },
};
