import type { BrowserWindowConstructorOptions } from 'electron';

/** The scheme the renderer is served from inside Electron (never file://, never http). */
export const APP_SCHEME = 'app';
/** The renderer's origin inside Electron. */
export const APP_ORIGIN = `${APP_SCHEME}://osler`;
/** The page the main window loads. */
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;
/** IPC channel carrying every contract call. */
export const IPC_INVOKE = 'osler:invoke';
/** IPC channel carrying every contract event. */
export const IPC_EVENT = 'osler:event';

/**
 * Options of the one application window: an isolated, sandboxed renderer with no Node.js, no
 * remote content, no webviews and no spellchecker (which would fetch dictionaries).
 */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Osler',
    show: false,
    backgroundColor: '#101418',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      enableBlinkFeatures: '',
      // Middle-click would open links in new windows (denied anyway; this removes the path).
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: process.env.OSLER_DEVTOOLS === '1',
    },
  };
}

/** Whether a URL belongs to the app's own pages. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === 'osler';
  } catch {
    return false;
  }
}

/** The parts of an IPC event the sender check reads. */
export interface SenderFrameInfo {
  readonly senderFrame: { readonly url: string } | null;
  readonly sender: { readonly mainFrame: unknown };
}

/**
 * Whether an IPC call comes from the main frame of a window showing the app's own page: an
 * iframe, a navigated-away page or any other origin is refused.
 */
export function isTrustedSender(event: SenderFrameInfo): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame === event.sender.mainFrame && isAppUrl(frame.url);
}
