// Under CI=true nothing may be left out silently: a skipped (pending) test fails the run, and so does a
// filter variable that leaves tests out. Used by the integration suite (test/integration/index.ts) and the
// e2e runner (test/e2e/run.ts); the unit layer sets mocha's forbid-pending in .mocharc.cjs from the same variable.

/** True when the run is CI's: every test must run and pass. */
export function isStrictCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true';
}

/** Throws when `variable` (a test filter) is set in a CI run. */
export function refuseFilterInCi(variable: string, env: NodeJS.ProcessEnv = process.env): void {
  const value = env[variable];
  if (isStrictCi(env) && value) {
    throw new Error(`${variable}=${value} leaves tests out, and CI=true runs every test: unset one of them`);
  }
}
