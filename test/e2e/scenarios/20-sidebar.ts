import type { Scenario } from '../lib/scenario';

/** The Local GPT activity bar container opens the Attention webview view. */
export const scenario: Scenario = {
  name: 'sidebar',
  async run({ wb, step }) {
    await step('open the Local GPT sidebar', () => wb.openViewContainer('Local GPT'));
    await step('Attention view shows its page', () => wb.waitForWebviewText('#status', 'No attention yet'));
  },
};
