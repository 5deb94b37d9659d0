/** Debian's Chromium; Playwright's own browser download is not possible offline. */
export const CHROMIUM = process.env.OSLER_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium flags for a quiet, offline, headless run as root. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
