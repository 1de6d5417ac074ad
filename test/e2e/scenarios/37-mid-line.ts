import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../harness/codeServer';
import { tabAcceptsAndSaves } from '../lib/accept';
import { visibleGhostText } from '../lib/ghostText';
import { GREEDY_MODEL_ONLY, isGreedyGhostText } from '../lib/modelCompletion';
import type { Scenario } from '../lib/scenario';
import { localGptSettings, setWorkspaceSettings } from '../lib/workspaceSettings';

/**
 * The language server's suggest widget would open after `.` and while typing a word, and Local GPT shows
 * nothing while it is open (it would overwrite the widget's selection; the `suggestWidget` reason): these
 * spots are about the ghost text, so the scenario turns the widget's automatic triggers off, as users
 * who prefer ghost text do.
 */
const NO_SUGGEST_WIDGET = { 'editor.quickSuggestions': { other: false, comments: false, strings: false }, 'editor.suggestOnTriggerCharacters': false };

/**
 * Two more of the positions the editor-path evaluation measures, in the real editor: in the middle of an
 * identifier (the token boundary: the prompt backs off to the start of `ma`, and the suggestion must go on
 * from the typed letters) and right after a `.`. At each, the ghost text is exactly the model's greedy
 * completion of the document as typed (computed independently in Node with the same pipeline), and Tab
 * inserts it after what was typed.
 */
const SPOTS = [
  { name: 'middle of an identifier', typed: 'const biggest = Math.ma' },
  { name: 'right after a `.`', typed: 'const smallest = Math.' },
];

export const scenario: Scenario = {
  name: 'midline',
  async run(ctx) {
    const { wb, step, page, server, log } = ctx;
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { localGpt: { embeddedModel: string } };
    const file = path.join(server.workspace, 'src', 'math.ts');
    const original = fs.readFileSync(file, 'utf8');

    await step('embedded model, greedy decoding, the model alone', async () => {
      setWorkspaceSettings(server, { ...localGptSettings(GREEDY_MODEL_ONLY), ...NO_SUGGEST_WIDGET });
      await page.waitForTimeout(1000);
      await wb.waitForStatusBar(/^Local GPT: (idle|ready)/);
      await wb.openFile('src/math.ts', 60_000);
      await page.locator('.editor-instance .monaco-editor textarea').first().focus();
    });

    for (const spot of SPOTS) {
      await step(`${spot.name}: the ghost text is the model's greedy completion, and Tab inserts it`, async () => {
        await page.keyboard.press('Control+End');
        await page.keyboard.press('Enter');
        // VS Code may indent the new line (after the previous spot's accepted text left a bracket open): the
        // status bar's column on the line after the file's last says how much.
        const newLine = fs.readFileSync(file, 'utf8').split('\n').length + 1;
        const indentation = ' '.repeat((await wb.waitForCursorLine(newLine)) - 1);
        await wb.type(spot.typed);
        const ghost = await visibleGhostText(ctx, 120_000);
        // The document as typed: what is on disk (saved by the previous spot), Enter at its end, the typed text.
        const text = `${fs.readFileSync(file, 'utf8')}\n${indentation}${spot.typed}`;
        const { matches, atEnd } = await isGreedyGhostText(ghost, {
          text, typed: spot.typed, languageId: 'typescript', relativePath: 'src/math.ts', model: undefined, embeddedModel: manifest.localGpt.embeddedModel,
        });
        log(`${spot.typed}▮ ghost text ${JSON.stringify(ghost)}; reference ${JSON.stringify(atEnd)}`);
        if (!matches) {
          throw new Error(`ghost text ${JSON.stringify(ghost)} is not the first line of the model's greedy completion ${JSON.stringify(atEnd)} (nor one typed through)`);
        }
        await tabAcceptsAndSaves(ctx, `${spot.typed}${ghost}`, file);
        await page.keyboard.press('Escape');
      });
    }

    await step('clean up: file restored and closed, settings reset', async () => {
      await page.keyboard.press('Escape');
      // The file as it was on disk, then the editor reloads it from there (a dirty buffer would make closing ask to save).
      fs.writeFileSync(file, original);
      await wb.runCommand('File: Revert File');
      await wb.runCommand('View: Close All Editors');
      setWorkspaceSettings(server, { ...localGptSettings(GREEDY_MODEL_ONLY, { remove: true }), ...Object.fromEntries(Object.keys(NO_SUGGEST_WIDGET).map((k) => [k, undefined])) });
    });
  },
};
