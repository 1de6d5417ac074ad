// Helpers that drive the VS Code 1.100.3 workbench (code-server) through playwright-core.
// Selectors are from ../shared/vscode-e2e/README.md; every wait has a timeout and a message naming what was awaited.
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** Text of our status bar item in the DOM: "Local GPT: <state>[ · <n> ms]" (see src/extension/statusBar.ts). */
const STATUS_BAR_PREFIX = 'Local GPT:';

export class Workbench {
  constructor(readonly page: Page) {}

  /** Workbench rendered and the explorer shows `fileName` from the workspace. */
  async waitReady(fileName = 'README.md', timeoutMs = 120_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    await this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first().waitFor({ timeout: timeoutMs });
  }

  /** The extension's status bar item (the extension's readiness signal). */
  statusBarItem(): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: STATUS_BAR_PREFIX }).first();
  }

  /** Waits until the status bar item's text matches, returns the text. */
  async waitForStatusBar(expected: RegExp | string = new RegExp(`^${STATUS_BAR_PREFIX}`), timeoutMs = 30_000): Promise<string> {
    const item = this.statusBarItem();
    const deadline = Date.now() + timeoutMs;
    let last = '(no item)';
    while (Date.now() < deadline) {
      if ((await item.count()) > 0) {
        last = (await item.innerText()).trim();
        if (typeof expected === 'string' ? last === expected : expected.test(last)) return last;
      }
      await this.page.waitForTimeout(100);
    }
    throw new Error(`status bar item: expected ${String(expected)}, last seen ${JSON.stringify(last)}`);
  }

  /** The cursor's line and column (1-based) as the status bar's "Ln 21, Col 3" item shows them. */
  async cursorPosition(): Promise<{ line: number; column: number }> {
    const text = (await this.page.locator('.part.statusbar .statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first().innerText()).trim();
    const m = /^Ln (\d+), Col (\d+)/.exec(text);
    if (!m) throw new Error(`status bar: no cursor position in ${JSON.stringify(text)}`);
    return { line: Number(m[1]), column: Number(m[2]) };
  }

  /** Waits until the status bar shows the cursor on `line` (it follows the editor a moment later), returns its column. */
  async waitForCursorLine(line: number, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.cursorPosition();
    while (last.line !== line) {
      if (Date.now() > deadline) throw new Error(`status bar: expected the cursor on line ${line}, last seen line ${last.line}`);
      await this.page.waitForTimeout(50);
      last = await this.cursorPosition();
    }
    return last.column;
  }

  /** Runs a command palette entry by its full title, e.g. "Local GPT: Show Log". */
  async runCommand(title: string, timeoutMs = 20_000): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`>${title}`);
    const row = this.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title })
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) })
      .first();
    try {
      await row.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch {
      throw new Error(`command palette: no entry titled ${JSON.stringify(title)}`);
    }
    await row.click();
    await input.waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  /** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor. */
  async openFile(relativePath: string, timeoutMs = 60_000): Promise<Locator> {
    const name = relativePath.split('/').pop()!;
    const tab = this.page.locator('.tabs-container .tab.active', { hasText: name });
    const deadline = Date.now() + timeoutMs;
    // Clicks the file's row (Enter would take whichever row is focused, and on a busy machine Quick Open
    // can still be showing the recently opened files when the search results arrive); tries again if
    // the picker closed without opening it.
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('Control+P');
      const input = this.page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: Math.max(1, deadline - Date.now()) });
      await input.fill(relativePath);
      await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first().click({ timeout: Math.max(1, deadline - Date.now()) });
      try {
        await tab.waitFor({ timeout: Math.max(1, Math.min(15_000, deadline - Date.now())) });
        break;
      } catch (e) {
        if (Date.now() >= deadline) throw new Error(`${relativePath} did not open from Quick Open in ${attempt} attempts within ${timeoutMs} ms: ${(e as Error).message}`);
      }
    }
    const editor = this.page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor({ timeout: Math.max(1, deadline - Date.now()) });
    return editor;
  }

  /** Moves the cursor (Ctrl+G "line:column", or to the end of `line` when column is omitted). */
  async goToLine(line: number, column?: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(column === undefined ? `${line}` : `${line}:${column}`);
    await this.page.keyboard.press('Enter');
    if (column === undefined) await this.page.keyboard.press('End');
  }

  /** Types into the focused editor like a user (delay per key, ms). */
  async type(text: string, delayMs = 30): Promise<void> {
    await this.page.keyboard.type(text, { delay: delayMs });
  }

  /** Text of the visible editor lines (U+00A0 turned back into spaces). */
  async editorText(): Promise<string> {
    const t = await this.page.locator('.editor-instance .monaco-editor .view-lines').first().innerText();
    return t.replace(/\u00a0/g, ' ');
  }

  /** Waits for a notification toast containing `text` and returns its message. */
  async waitForNotification(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
    try {
      await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch {
      throw new Error(`no notification matching ${String(text)} within ${timeoutMs} ms`);
    }
    return toast.innerText();
  }

  /** Clicks an activity bar container by its title (e.g. "Local GPT"), opening its sidebar. */
  async openViewContainer(title: string, timeoutMs = 10_000): Promise<void> {
    const icon = this.page.locator(`.part.activitybar .action-item a[aria-label^="${title}"]`).first();
    try {
      await icon.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch {
      throw new Error(`activity bar: no icon titled ${JSON.stringify(title)}`);
    }
    await icon.click();
    try {
      await this.page.locator('.part.sidebar .composite.title', { hasText: title }).first().waitFor({ timeout: timeoutMs });
    } catch {
      throw new Error(`sidebar: ${JSON.stringify(title)} did not open after a click on its activity bar icon`);
    }
  }

  /** The HTML document of the webview (the n-th visible one; views render in an overlay, not inside the sidebar). */
  webview(index = 0): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').nth(index).frameLocator('iframe#active-frame');
  }

  /** Waits for `selector` in any visible webview to contain `text`; returns its text. */
  async waitForWebviewText(selector: string, text: string | RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      const frames = await this.page.locator('iframe.webview.ready').count();
      seen = [];
      for (let i = 0; i < frames; i++) {
        const el = this.webview(i).locator(selector);
        if ((await el.count().catch(() => 0)) === 0) continue;
        const t = await el.first().innerText({ timeout: 1000 }).catch(() => '');
        seen.push(t);
        if (typeof text === 'string' ? t.includes(text) : text.test(t)) return t;
      }
      await this.page.waitForTimeout(150);
    }
    throw new Error(`webview ${selector}: expected ${String(text)}, saw ${JSON.stringify(seen)}`);
  }

  /** Text shown in the Output panel's editor. */
  async outputText(): Promise<string> {
    const t = await this.page.locator('.part.panel .output-view .view-lines, .part.panel [id="workbench.panel.output"] .view-lines').first().innerText();
    return t.replace(/\u00a0/g, ' ');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
