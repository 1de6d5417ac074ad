// Unit tests (`npm run test:unit`). Under CI=true a skipped or pending test fails the run ("Pending test
// forbidden"): in CI every prerequisite (Chromium, the runtimes, the model) must be there, or the run says so.
// The integration (test/integration/index.ts) and e2e (test/e2e/run.ts) runners apply the same rule.
module.exports = {
  'node-option': ['import=tsx'],
  extension: ['ts'],
  timeout: 60000,
  reporter: 'spec',
  'forbid-pending': process.env.CI === 'true',
};
