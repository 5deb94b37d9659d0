import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.e2e.ts',
  outputDir: `${root}/test-results/e2e`,
  globalSetup: './globalSetup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // The offline run (tests/e2e/offline.sh) reports to its own file so CI can count both runs.
  reporter: [['list'], ['json', { outputFile: process.env.OSLER_E2E_REPORT ?? `${root}/test-results/e2e.json` }]],
});
