import * as fs from 'node:fs';
import * as path from 'node:path';
import { summarize } from '../../../bench/lib/stats';
import { ghostLinesBelow, inlineGhostText, timeKeyToGhostText, visibleGhostText } from '../lib/ghostText';
import { HANG_GUARD_MS, type Scenario } from '../lib/scenario';
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
/** Warm signature + Enter trials timed and reported (not asserted: no verdict depends on a time). */
const TIMED_TRIALS = 10;

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
      const accepted = Date.now() + HANG_GUARD_MS;
      while ((await inlineGhostText(page)) !== '' || !(await wb.editorText()).includes(ghost.trim())) {
        if (Date.now() > accepted) throw new Error(`after Tab the editor does not show ${JSON.stringify(ghost)} (Tab indented instead of accepting?)`);
        await page.waitForTimeout(100);
      }
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + HANG_GUARD_MS;
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
      // Timed in the page, from Enter's keydown to the ghost text's DOM mutation (timeKeyToGhostText);
      // issue #14 item 5 measured 10 trials after warm-up the same way.
      const times: number[] = [];
      for (let trial = 0; trial < TIMED_TRIALS; trial++) {
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+End');
        await page.keyboard.press('Enter');
        await wb.type(`export function scale${trial}(value: number, factor: number): number {`);
        const shown = await timeKeyToGhostText(ctx, 'Enter', 60_000);
        if (shown) times.push(shown.ms);
        // The status bar's latency is the pipeline's part (debounce included): the rest is VS Code's.
        const status = (await wb.statusBarItem().innerText()).trim();
        log(`trial ${trial + 1}: ${shown === null ? 'no ghost text within 60 s' : `${shown.ms.toFixed(0)} ms, ${JSON.stringify(shown.text)}`} (status bar: ${status})`);
      }
      // A report that measured nothing is a broken measurement, not a slow editor.
      if (times.length === 0) throw new Error(`no ghost text in any of the ${TIMED_TRIALS} timed trials`);
      const s = summarize(times);
      log(`signature + Enter -> ghost text (warm, ${s.n} of ${TIMED_TRIALS} trials showed one), ms: median ${s.median.toFixed(0)}, min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}; all: ${times.map((t) => t.toFixed(0)).join(', ')}`);
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
