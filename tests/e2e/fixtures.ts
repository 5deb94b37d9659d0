import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, chromium, type BrowserContext, type Page } from '@playwright/test';
import { CHROMIUM, CHROMIUM_FLAGS } from './chromium.js';

export { CHROMIUM, CHROMIUM_FLAGS };

interface Fixtures {
  /** The browser-mode URL with its session token. */
  appUrl: string;
  /** Console errors and page errors seen during the test (a CSP violation shows up here). */
  consoleErrors: string[];
}

/** Tests get a fresh-profile Chromium (persistent context on a new folder) per test. */
export const test = base.extend<Fixtures & { context: BrowserContext; page: Page }>({
  appUrl: async ({}, use) => {
    const url = process.env.OSLER_E2E_URL;
    if (!url) throw new Error('OSLER_E2E_URL is not set: the global setup did not start osler serve');
    await use(url);
  },
  context: async ({}, use) => {
    const profile = mkdtempSync(join(tmpdir(), 'osler-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 800 },
    });
    await use(context);
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  },
  consoleErrors: async ({}, use) => {
    await use([]);
  },
  page: async ({ context, consoleErrors }, use) => {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await use(page);
  },
});

export { expect } from '@playwright/test';
