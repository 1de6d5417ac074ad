import type { Scenario } from '../lib/scenario';

/** Palette commands: Toggle flips the status bar item off and on; Show Log opens the "Local GPT" output. */
export const scenario: Scenario = {
  name: 'palette',
  async run({ wb, step, page }) {
    await step('Toggle Inline Completions turns it off', async () => {
      await wb.runCommand('Local GPT: Toggle Inline Completions');
      await wb.waitForStatusBar('Local GPT: off', 20_000);
    });
    await step('Toggle Inline Completions turns it on again', async () => {
      await wb.runCommand('Local GPT: Toggle Inline Completions');
      await wb.waitForStatusBar('Local GPT: idle', 20_000);
    });
    await step('Show Log opens the Local GPT output', async () => {
      await wb.runCommand('Local GPT: Show Log');
      const deadline = Date.now() + 10_000;
      let text = '';
      while (Date.now() < deadline) {
        text = await wb.outputText().catch(() => '');
        if (/Activated Local GPT .* in [\d.]+ ms/.test(text) && text.includes('Inline completions turned on.')) return;
        await page.waitForTimeout(150);
      }
      throw new Error(`Output panel does not show the Local GPT log (activation + toggle lines); saw ${JSON.stringify(text.slice(0, 300))}`);
    });
    await step('close the panel', () => wb.runCommand('View: Hide Panel'));
  },
};
