import type { Scenario } from '../lib/scenario';

/** The workbench loads, the installed extension activates and shows its status bar item. */
export const scenario: Scenario = {
  name: 'workbench',
  async run({ wb, step }) {
    await step('workbench ready', () => wb.waitReady('README.md'));
    await step('status bar item shows "Local GPT: idle"', () => wb.waitForStatusBar('Local GPT: idle', 60_000));
  },
};
