// `npm run test:e2e`: packages this machine's platform VSIX (`npm run package -- --target <platform>-<arch>`, the
// universal one where no platform VSIX exists), installs it into a fresh code-server with
// `--install-extension`, opens the workbench in headless Chromium and runs every scenario in
// test/e2e/scenarios/ (see lib/scenario.ts). Screenshots: test-results/e2e/. Exit status 0 only if all pass.
//   LOCAL_GPT_E2E_SCENARIOS=palette,sidebar   run only scenarios whose name contains one of these (refused under CI=true)
//   LOCAL_GPT_E2E_SKIP_PACKAGE=1              reuse the existing local-gpt-<platform>-<version>.vsix
//   LOCAL_GPT_E2E_TIMEOUT_MS                  overall timeout (default 45 minutes)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchBrowser, type Browser } from '../harness/browser';
import { refuseFilterInCi } from '../harness/ciRules';
import { REPO_ROOT, startCodeServer, withCleanup, type CodeServer } from '../harness/codeServer';
import { packageVsix } from '../harness/vsix';
import type { Scenario, ScenarioContext } from './lib/scenario';
import { Workbench } from './lib/workbench';

const OUT_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');
const TIMEOUT_MS = Number(process.env.LOCAL_GPT_E2E_TIMEOUT_MS ?? 2_700_000);

async function loadScenarios(): Promise<Scenario[]> {
  const dir = path.join(__dirname, 'scenarios');
  refuseFilterInCi('LOCAL_GPT_E2E_SCENARIOS');
  const filter = process.env.LOCAL_GPT_E2E_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
  const list: Scenario[] = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const mod = (await import(path.join(dir, f))) as { scenario?: Scenario };
    if (!mod.scenario) throw new Error(`${path.join('test/e2e/scenarios', f)} does not export \`scenario\``);
    if (!filter || f.startsWith('00-') || filter.some((s) => mod.scenario!.name.includes(s))) list.push(mod.scenario);
  }
  return list;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

async function main(): Promise<number> {
  const started = Date.now();
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const scenarios = await loadScenarios();
  let vsix: string;
  try {
    vsix = packageVsix({ reuse: Boolean(process.env.LOCAL_GPT_E2E_SKIP_PACKAGE) });
  } catch (e) {
    throw new Error(`step "package VSIX": ${e instanceof Error ? e.message : String(e)}`);
  }

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const cleanup = async () => {
    await browser?.close();
    await server?.stop();
  };
  let passed = 0;
  const failures: string[] = [];
  await withCleanup('e2e', TIMEOUT_MS, cleanup, async () => {
    server = await startCodeServer({ vsix: [vsix] });
    browser = await launchBrowser();
    const { page } = browser;
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    const wb = new Workbench(page);
    console.log(`e2e: code-server ${server.url}; opening the workbench`);
    await page.goto(server.workbenchUrl(), { waitUntil: 'domcontentloaded', timeout: 120_000 });

    for (const scenario of scenarios) {
      let n = 0;
      const screenshot = async (name: string) => {
        const file = path.join(OUT_DIR, `${slug(scenario.name)}-${name}.png`);
        await page.screenshot({ path: file }).catch(() => undefined);
        return file;
      };
      const ctx: ScenarioContext = {
        page, wb, server: server!, screenshot,
        log: (msg) => console.log(`      ${msg}`),
        async step(name, fn) {
          const shot = `${String(++n).padStart(2, '0')}-${slug(name)}`;
          const t = Date.now();
          try {
            const result = await fn();
            await screenshot(shot);
            console.log(`    ✔ ${name} (${Date.now() - t} ms)`);
            return result;
          } catch (e) {
            const file = await screenshot(`${shot}-FAILED`);
            throw new Error(`${scenario.name} › ${name}: ${e instanceof Error ? e.message : String(e)}\n      screenshot: ${path.relative(REPO_ROOT, file)}`);
          }
        },
      };
      console.log(`  ${scenario.name}`);
      try {
        await scenario.run(ctx);
        passed++;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        failures.push(msg);
        console.log(`    ✘ ${msg}`);
        if (scenario.name === 'workbench') break; // nothing else can work without the extension
      }
    }
    if (failures.length > 0 && consoleErrors.length > 0) {
      console.log(`e2e: browser console errors (last 10):\n  ${consoleErrors.slice(-10).map((e) => e.split("\n")[0]!.slice(0, 300)).join("\n  ")}`);
    }
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n  ${passed} passing, ${failures.length} failing (${scenarios.length} scenarios, ${secs} s); screenshots in ${path.relative(REPO_ROOT, OUT_DIR)}/`);
  for (const f of failures) console.error(`e2e: FAILED ${f}`);
  return failures.length === 0 && passed === scenarios.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`e2e: FAILED ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
