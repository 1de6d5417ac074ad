import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../harness/codeServer';
import { tinyGpt2 } from '../../unit/engine/fixtures/tinyModels';
import { tabAcceptsAndSaves } from '../lib/accept';
import { GHOST, inlineGhostText, visibleGhostText } from '../lib/ghostText';
import { GREEDY_MODEL_ONLY, isGreedyGhostText } from '../lib/modelCompletion';
import { localGptSettings, setWorkspaceSettings } from '../lib/workspaceSettings';
import { HANG_GUARD_MS, type Scenario } from '../lib/scenario';

/**
 * Inline completions as a user sees them: ghost text while typing in a TypeScript file (exactly the
 * model's greedy output at that spot, computed independently in Node), Tab inserts it and saving writes it, typing through a suggestion keeps it, Escape dismisses it, and the toggle
 * stops completions. Runs the embedded model when the repo has it, else a tiny random GPT-2 (its
 * suggestions are noise, but real output of the installed VSIX's worker).
 */

export const scenario: Scenario = {
  name: 'completion',
  async run(ctx) {
    const { wb, step, page, server, log } = ctx;
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { localGpt: { embeddedModel: string } };
    const embedded = path.join(REPO_ROOT, 'models', manifest.localGpt.embeddedModel, 'onnx', 'model_quantized.onnx');
    const ghostCount = () => page.locator(GHOST).count();
    const model = fs.existsSync(embedded) ? undefined : tinyGpt2().dir;

    await step('use the model, greedy decoding', async () => {
      log(`model: ${model ?? 'embedded'}`);
      setWorkspaceSettings(server, localGptSettings({ model, ...GREEDY_MODEL_ONLY }));
      await page.waitForTimeout(1000);
      // Idle when the setting change restarted the engine; ready when an earlier scenario (attention) already
      // loaded the same model and only generation options changed.
      await wb.waitForStatusBar(/^Local GPT: (idle|ready)/);
    });

    let ghost = '';
    await step('typing in src/math.ts shows ghost text', async () => {
      await wb.openFile('src/math.ts');
      await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await wb.type('export function ');
      const started = Date.now();
      ghost = await visibleGhostText(ctx, 120_000);
      log(`ghost text after ${Date.now() - started} ms (cold: worker start + model load): ${JSON.stringify(ghost)}`);
      await wb.waitForStatusBar(/^Local GPT: ready · \d+ ms$/, 10_000);
    });

    await step('the ghost text is the model\'s greedy completion at that spot', async () => {
      // The document as typed: the fixture, Enter at its end, "export function " (no auto-indent at top level).
      const text = `${fs.readFileSync(path.join(server.workspace, 'src', 'math.ts'), 'utf8')}\nexport function `;
      const { matches, atEnd } = await isGreedyGhostText(ghost, {
        text, typed: 'export function ', languageId: 'typescript', relativePath: 'src/math.ts', model, embeddedModel: manifest.localGpt.embeddedModel,
      });
      log(`reference completion (Node, same worker and pipeline, temperature 0, copy model off): ${JSON.stringify(atEnd)}`);
      // A single-line spot: VS Code shows the whole completion on the cursor's line.
      if (!matches) {
        throw new Error(`ghost text ${JSON.stringify(ghost)} is not the model's greedy completion ${JSON.stringify(atEnd)} (nor one typed through)`);
      }
    });

    await step('Tab inserts it and saving writes it', async () => {
      await tabAcceptsAndSaves(ctx, `export function ${ghost}`, path.join(server.workspace, 'src', 'math.ts'));
    });

    await step('typing through a suggestion keeps it', async () => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await wb.type('const total = ');
      const before = await visibleGhostText(ctx, 30_000);
      const typed = before[0];
      await page.keyboard.type(typed);
      const deadline = Date.now() + HANG_GUARD_MS;
      let after = '';
      while (Date.now() < deadline) {
        after = await inlineGhostText(page);
        if (after !== '' && before === typed + after) break;
        await page.waitForTimeout(100);
      }
      if (!(after !== '' && before === typed + after)) {
        throw new Error(`after typing ${JSON.stringify(typed)} of ${JSON.stringify(before)} the ghost text is ${JSON.stringify(after)}`);
      }
      log(`typed ${JSON.stringify(typed)}; still suggested: ${JSON.stringify(after)}`);
    });

    await step('Escape dismisses it', async () => {
      await page.keyboard.press('Escape');
      const deadline = Date.now() + HANG_GUARD_MS;
      while ((await ghostCount()) > 0) {
        if (Date.now() > deadline) throw new Error('ghost text still shown after Escape');
        await page.waitForTimeout(100);
      }
    });

    await step('Toggle Inline Completions off: no more ghost text', async () => {
      await wb.runCommand('Local GPT: Toggle Inline Completions');
      await wb.waitForStatusBar('Local GPT: off', 10_000);
      await page.locator('.editor-instance .monaco-editor textarea').first().focus();
      await wb.type(' x');
      await page.waitForTimeout(3000);
      if ((await ghostCount()) > 0) throw new Error(`ghost text shown while off: ${JSON.stringify(await inlineGhostText(page))}`);
    });

    await step('clean up: on again, file reverted and closed, settings reset', async () => {
      await wb.runCommand('Local GPT: Toggle Inline Completions');
      await wb.waitForStatusBar(/^Local GPT: (idle|ready)/, 10_000);
      await wb.runCommand('File: Revert File');
      await wb.runCommand('View: Close All Editors');
      setWorkspaceSettings(server, localGptSettings({ model: undefined, ...GREEDY_MODEL_ONLY }, { remove: true }));
    });
  },
};
