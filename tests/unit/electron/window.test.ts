import { describe, expect, it, vi } from 'vitest';
import { hardenContents, hardenSession, isAllowedRequest } from '../../../electron/hardening.js';
import { APP_ENTRY, isAppUrl, isTrustedSender, mainWindowOptions } from '../../../electron/windowOptions.js';

describe('Electron window options', () => {
  const options = mainWindowOptions('/app/preload.cjs');
  const web = options.webPreferences!;

  it('isolates and sandboxes the renderer with no Node.js', () => {
    expect(web.contextIsolation).toBe(true);
    expect(web.sandbox).toBe(true);
    expect(web.nodeIntegration).toBe(false);
    expect(web.nodeIntegrationInWorker).toBe(false);
    expect(web.nodeIntegrationInSubFrames).toBe(false);
    expect(web.webSecurity).toBe(true);
    expect(web.allowRunningInsecureContent).toBe(false);
    expect(web.webviewTag).toBe(false);
    expect(web.experimentalFeatures).toBe(false);
    expect(web.enableBlinkFeatures).toBe('');
    expect(web.disableBlinkFeatures).toBe('Auxclick');
    expect(web.spellcheck).toBe(false);
    expect(web.preload).toBe('/app/preload.cjs');
  });

  it('loads only the app scheme', () => {
    expect(APP_ENTRY).toBe('app://osler/index.html');
    expect(isAppUrl(APP_ENTRY)).toBe(true);
    for (const url of [
      'https://example.com',
      'file:///etc/passwd',
      'app://evil/index.html',
      'http://127.0.0.1/',
      'not a url',
    ])
      expect(isAppUrl(url)).toBe(false);
  });
});

describe('Electron hardening', () => {
  function fakeContents() {
    const listeners = new Map<string, (...args: never[]) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | undefined;
    return {
      contents: {
        on: (event: string, listener: (...args: never[]) => void) => listeners.set(event, listener),
        setWindowOpenHandler: (h: (d: { url: string }) => { action: 'deny' }) => (openHandler = h),
      },
      fire(event: string, url?: string) {
        const e = { preventDefault: vi.fn() };
        (listeners.get(event) as (e: unknown, url?: string) => void)(e, url);
        return e.preventDefault;
      },
      open: (url: string) => openHandler!({ url }),
    };
  }

  it('blocks navigation away from the app, webviews and every new window', () => {
    const fake = fakeContents();
    hardenContents(fake.contents as never);
    expect(fake.fire('will-navigate', 'https://example.com')).toHaveBeenCalled();
    expect(fake.fire('will-redirect', 'http://evil.test')).toHaveBeenCalled();
    expect(fake.fire('will-navigate', 'app://osler/index.html')).not.toHaveBeenCalled();
    expect(fake.fire('will-attach-webview')).toHaveBeenCalled();
    expect(fake.open('https://example.com')).toEqual({ action: 'deny' });
    expect(fake.open('app://osler/index.html')).toEqual({ action: 'deny' });
  });

  it('denies every permission and cancels requests that are not for the app', () => {
    let request: (c: unknown, p: string, cb: (g: boolean) => void) => void = () => undefined;
    let check: () => boolean = () => true;
    let filter: (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void = () => undefined;
    hardenSession({
      setPermissionRequestHandler: (h) => (request = h),
      setPermissionCheckHandler: (h) => (check = h),
      webRequest: { onBeforeRequest: (l) => (filter = l) },
    });
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn();
      request({}, permission, cb);
      expect(cb).toHaveBeenCalledWith(false);
    }
    expect(check()).toBe(false);
    const decide = (url: string) => {
      let cancel: boolean | undefined;
      filter({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    expect(decide('app://osler/assets/index.js')).toBe(false);
    expect(decide('https://cdn.example.com/x.js')).toBe(true);
    expect(decide('http://127.0.0.1:8080/')).toBe(true);
    expect(decide('file:///etc/passwd')).toBe(true);
    expect(isAllowedRequest('ws://127.0.0.1/api')).toBe(false);
  });
});

describe('IPC sender check', () => {
  const main = { url: 'app://osler/index.html' };
  it('accepts only the main frame of the app page', () => {
    expect(isTrustedSender({ senderFrame: main, sender: { mainFrame: main } })).toBe(true);
    const iframe = { url: 'app://osler/index.html' };
    expect(isTrustedSender({ senderFrame: iframe, sender: { mainFrame: main } })).toBe(false);
    const away = { url: 'https://example.com/' };
    expect(isTrustedSender({ senderFrame: away, sender: { mainFrame: away } })).toBe(false);
    expect(isTrustedSender({ senderFrame: null, sender: { mainFrame: main } })).toBe(false);
  });
});
