import * as fs from 'node:fs';
import { GHOST } from './ghostText';
import { HANG_GUARD_MS, type ScenarioContext } from './scenario';

/**
 * Tab, then Ctrl+S: the ghost text must be gone and the editor must show `text` (the typed prefix plus the
 * suggestion), then `file` on disk must contain it. Fails naming what it saw.
 */
export async function tabAcceptsAndSaves(ctx: ScenarioContext, text: string, file: string): Promise<void> {
  const { wb, page } = ctx;
  const ghostCount = () => page.locator(GHOST).count();
  await page.keyboard.press('Tab');
  // The editor's lines show ghost text too: first the ghost text must be gone, then the line holds the text.
  const deadline = Date.now() + HANG_GUARD_MS;
  while ((await ghostCount()) > 0 || !(await wb.editorText()).includes(text)) {
    if (Date.now() > deadline) {
      throw new Error(`after Tab: ${await ghostCount()} ghost text element(s); the editor shows ${JSON.stringify(text)}: ${(await wb.editorText()).includes(text)}`);
    }
    await page.waitForTimeout(100);
  }
  await page.keyboard.press('Control+S');
  const saved = Date.now() + HANG_GUARD_MS;
  while (!fs.readFileSync(file, 'utf8').includes(text)) {
    if (Date.now() > saved) throw new Error(`${file} does not contain ${JSON.stringify(text)} after Ctrl+S`);
    await page.waitForTimeout(100);
  }
}
