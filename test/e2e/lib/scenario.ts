// The contract between test/e2e/run.ts and the scenario files in test/e2e/scenarios/.
//
// A scenario file exports `scenario: Scenario`. run.ts loads every `scenarios/*.ts` in name order (prefix
// numbers order them: 00-workbench, 10-palette, 20-sidebar; add e.g. 30-completion.ts, 40-attention.ts)
// and runs them one after another in ONE workbench (one code-server, one page), so a scenario should leave
// the workbench usable (close what it opened). Inside, wrap each user-visible step in `ctx.step(name, fn)`:
// it screenshots `test-results/e2e/<scenario>-<nn>-<step>.png` after the step (and on failure), and a
// failure is reported as "<scenario> › <step>: <message>".
import type { Page } from 'playwright-core';
import type { CodeServer } from '../../harness/codeServer';
import type { Workbench } from './workbench';

/**
 * How long a step waits for what the user must eventually see (a save on disk, accepted text, a dismissed
 * widget) before it fails: a guard against a hang, not a speed check, so it is generous; on a starved machine
 * the TypeScript extension's save participant alone may take its full 1.75 s before VS Code writes a file.
 */
export const HANG_GUARD_MS = 60_000;

export interface ScenarioContext {
  page: Page;
  wb: Workbench;
  server: CodeServer;
  /** Runs one named step; screenshots after it. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Extra screenshot (name without extension). */
  screenshot(name: string): Promise<string>;
  log(msg: string): void;
}

export interface Scenario {
  /** Short name used in screenshots and messages. */
  name: string;
  run(ctx: ScenarioContext): Promise<void>;
}
