import type { ScenarioContext } from './scenario';

/** Every element VS Code draws ghost text with: the cursor line's spans and the lines below it. */
export const GHOST = '.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview, .monaco-editor .ghost-text';

/** The spans VS Code draws the cursor line's ghost text with (several: one per token colour). */
const CURSOR_LINE_GHOST = '.monaco-editor .ghost-text-decoration';

/** The ghost text on the cursor's line. */
export async function inlineGhostText(page: ScenarioContext['page']): Promise<string> {
  return (await page.locator(CURSOR_LINE_GHOST).allInnerTexts()).join('').replace(/\u00a0/g, ' ');
}

/** The ghost lines below the cursor's line (multi-line suggestions), as drawn. */
export async function ghostLinesBelow(page: ScenarioContext['page']): Promise<string> {
  return (await page.locator('.monaco-editor .ghost-text').allInnerTexts()).join('\n').replace(/\u00a0/g, ' ');
}

/**
 * Waits until the cursor line's ghost text holds a non-whitespace character and returns it; fails
 * early with the extension's log when the status bar turns to error.
 */
export async function visibleGhostText(ctx: ScenarioContext, timeoutMs: number): Promise<string> {
  const { wb, page } = ctx;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ghost = await inlineGhostText(page);
    if (/\S/.test(ghost)) return ghost;
    const status = (await wb.statusBarItem().innerText().catch(() => '')).trim();
    if (/Local GPT: error/.test(status)) {
      await wb.runCommand('Local GPT: Show Log');
      await page.waitForTimeout(500);
      const logText = await wb.outputText().catch(() => '(no log)');
      throw new Error(`status bar shows "${status}"; log:\n${logText.split('\n').slice(-8).join('\n')}`);
    }
    await page.waitForTimeout(50);
  }
  throw new Error(`no ghost text with a non-whitespace character within ${timeoutMs} ms`);
}

/**
 * Presses `key` and measures, in the page's own clock, from the key's `keydown` to the first DOM
 * mutation after which the cursor line's ghost text holds a non-whitespace character: what the user
 * waits for, without the 50 ms polling and the round trips of `visibleGhostText` (which read up to
 * ~70 ms late). Null when no ghost text came within `timeoutMs`.
 */
export async function timeKeyToGhostText(ctx: ScenarioContext, key: string, timeoutMs: number): Promise<{ ms: number; text: string } | null> {
  const { page } = ctx;
  // In-page code as a string (String.raw: its regular expressions keep their backslashes): this tsconfig
  // has no DOM types, and the page's clock is the one to read.
  const watcher = page.evaluate(String.raw`new Promise((resolve) => {
    const selector = ${JSON.stringify(CURSOR_LINE_GHOST)};
    let pressed = -1;
    const ghost = () => Array.from(document.querySelectorAll(selector), (e) => e.textContent || '').join('').replace(/\u00a0/g, ' ');
    const done = (result) => { observer.disconnect(); clearTimeout(timer); resolve(result); };
    const observer = new MutationObserver(() => {
      if (pressed < 0) return;
      const text = ghost();
      if (/\S/.test(text)) done({ ms: performance.now() - pressed, text });
    });
    const timer = setTimeout(() => done(null), ${timeoutMs});
    // Capture phase on window: before the editor handles the key.
    window.addEventListener('keydown', () => { pressed = performance.now(); }, { capture: true, once: true });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  })`) as Promise<{ ms: number; text: string } | null>;
  // The watcher is armed once page.evaluate has run its body; a no-op round trip orders the key after it.
  await page.evaluate(() => 0);
  await page.keyboard.press(key);
  return watcher;
}
