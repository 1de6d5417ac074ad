import * as fs from 'node:fs';
import * as path from 'node:path';
import { ghostLinesBelow, inlineGhostText, visibleGhostText } from '../lib/ghostText';
import type { Scenario } from '../lib/scenario';
import { setWorkspaceSettings } from '../lib/workspaceSettings';

/**
 * A fresh line inside a function body, as a user gets there: type a signature, Enter (the editor
 * indents the new line and closes the brace below). The ghost text there must have text, Tab must
 * accept it (VS Code indents instead when ghost text in the indentation starts with a tab stop of
 * whitespace), and saving must write it on that line. Also reports how long Enter takes to show ghost
 * text (logged, not asserted: the machine is shared), and that the line after the accepted `return` gets
 * none (unreachable code).
 */
const SIGNATURE = 'export function multiply(a: number, b: number): number {';

export const scenario: Scenario = {
  name: 'freshline',
  async run(ctx) {
    const { wb, step, page, server, log } = ctx;
    const file = path.join(server.workspace, 'src', 'math.ts');

    await step('embedded model, greedy decoding', async () => {
      setWorkspaceSettings(server, { 'localGpt.temperature': 0 });
      await page.waitForTimeout(1000);
      await wb.waitForStatusBar(/^Local GPT: (idle|ready)/);
    });

    await step('type a function signature in src/math.ts', async () => {
      await wb.openFile('src/math.ts', 60_000); // Quick Open's first file search can be slow on a busy machine
      // Focus, not a click: a click waits for the page to settle, which a busy machine may not do in time.
      await page.locator('.editor-instance .monaco-editor textarea').first().focus();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await wb.type(SIGNATURE);
    });

    let ghost = '';
    await step('Enter: a fresh indented line shows ghost text with text in it', async () => {
      const started = Date.now();
      await page.keyboard.press('Enter');
      ghost = await visibleGhostText(ctx, 180_000);
      log(`Enter -> ghost text: ${Date.now() - started} ms (first request: includes worker start and model load)`);
      log(`ghost text on the fresh line: ${JSON.stringify(ghost)}; lines below: ${JSON.stringify(await ghostLinesBelow(page))}`);
      if (!/\S/.test(ghost)) throw new Error(`ghost text ${JSON.stringify(ghost)} has no text`);
    });

    await step('Tab accepts it and saving writes it on that line', async () => {
      await page.keyboard.press('Tab');
      const accepted = Date.now() + 5000;
      while ((await inlineGhostText(page)) !== '' || !(await wb.editorText()).includes(ghost.trim())) {
        if (Date.now() > accepted) throw new Error(`after Tab the editor does not show ${JSON.stringify(ghost)} (Tab indented instead of accepting?)`);
        await page.waitForTimeout(100);
      }
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + 5000;
      let line = '';
      for (;;) {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        line = lines[lines.indexOf(SIGNATURE) + 1] ?? '';
        if (line.trim() !== '' && line.includes(ghost.trim())) break;
        if (Date.now() > deadline) throw new Error(`saved line after the signature is ${JSON.stringify(line)}, not the suggestion ${JSON.stringify(ghost)}`);
        await page.waitForTimeout(100);
      }
      log(`saved line: ${JSON.stringify(line)}`);
    });

    await step('a signature and Enter to ghost text, a few more times (reported)', async () => {
      // Each time a new function at the end of the file, as a user writes one: a spot the completion cache
      // has not seen, so the model runs. (The line after the accepted `return` is not one: code there cannot
      // run, and Local GPT suggests nothing there.)
      const times: number[] = [];
      for (let trial = 0; trial < 3; trial++) {
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+End');
        await page.keyboard.press('Enter');
        await wb.type(`export function scale${trial}(value: number, factor: number): number {`);
        const started = Date.now();
        await page.keyboard.press('Enter');
        const shown = await visibleGhostText(ctx, 60_000).catch(() => null);
        times.push(Date.now() - started);
        log(`trial ${trial + 1}: ${shown === null ? 'no ghost text within 60 s' : `${times[trial]} ms, ${JSON.stringify(shown)}`}`);
      }
      log(`signature + Enter -> ghost text (warm), ms: ${times.join(', ')}`);
    });

    await step('clean up: file reverted and closed, settings reset', async () => {
      await page.keyboard.press('Escape');
      await wb.runCommand('File: Revert File');
      await wb.runCommand('View: Close All Editors');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').split(`\n${SIGNATURE}`)[0].replace(/\n*$/, '\n'));
      setWorkspaceSettings(server, { 'localGpt.temperature': undefined });
    });
  },
};
