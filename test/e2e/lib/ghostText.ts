import type { ScenarioContext } from './scenario';

/** Every element VS Code draws ghost text with: the cursor line's spans and the lines below it. */
export const GHOST = '.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview, .monaco-editor .ghost-text';

/** The ghost text on the cursor's line: VS Code splits it into several spans (one per token colour). */
export async function inlineGhostText(page: ScenarioContext['page']): Promise<string> {
  return (await page.locator('.monaco-editor .ghost-text-decoration').allInnerTexts()).join('').replace(/\u00a0/g, ' ');
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
