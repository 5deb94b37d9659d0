// Viewer benchmarks, driven through the real renderer in headless Chromium (software GL here):
// time to first image, per-slice render time while scrolling, frame transfer over the contract,
// and renderer heap after scrolling a 28-slice and a 500-slice series.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { createCore } from '../../native/app/core.js';
import { startHost } from '../../native/host/server.js';
import { CHROMIUM, CHROMIUM_FLAGS } from '../e2e/chromium.js';

const root = resolve(import.meta.dirname, '..', '..');
const data = resolve(process.env.OSLER_DATA ?? join(root, '..', 'shared', 'data'));
const headCt = join(data, 'dicom', 'ct-head-ge');
if (!existsSync(headCt)) {
  console.log(`# skipped: ${headCt} not found (set OSLER_DATA)`);
  process.exit(0);
}
if (!existsSync(join(root, 'dist', 'renderer', 'index.html')))
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });

const tmp = mkdtempSync(join(tmpdir(), 'osler-viewer-bench-'));
const home = join(tmp, 'home');
const osler = join(root, 'native', 'cli', 'osler.mjs');
execFileSync(process.execPath, [osler, 'import', 'dicom', headCt, '--home', home, '--json'], { stdio: 'ignore' });

// A 500-slice series made of the real slices with new UIDs and positions, through the importer.
const big = join(tmp, 'big');
mkdirSync(big);
const sources = readdirSync(headCt).sort();
const hasDcmodify = spawnSync('dcmodify', ['--version']).status === 0;
if (hasDcmodify) {
  const series = `1.2.826.0.1.3680043.9.7433.${Date.now()}`;
  for (let i = 0; i < 500; i++) {
    const file = join(big, `s${String(i).padStart(4, '0')}.dcm`);
    copyFileSync(join(headCt, sources[i % sources.length]!), file);
    execFileSync('dcmodify', [
      '-nb',
      '-i',
      `(0020,000E)=${series}`,
      '-i',
      `(0020,000D)=${series}.1`,
      '-i',
      `(0008,0018)=${series}.2.${i}`,
      '-i',
      `(0020,0013)=${i + 1}`,
      '-i',
      `(0020,0032)=-125\\-125\\${(i * 0.8).toFixed(1)}`,
      '-i',
      '(0020,0037)=1\\0\\0\\0\\1\\0',
      '-i',
      '(0008,103E)=Bench 500',
      '-i',
      '(0008,1030)=Bench study',
      file,
    ]);
  }
  execFileSync(process.execPath, [osler, 'import', 'dicom', big, '--home', home, '--json'], { stdio: 'ignore' });
}

const core = createCore({ home, mode: 'browser', log: () => undefined });
const host = await startHost({ core, rendererDir: join(root, 'dist', 'renderer') });
const context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: CHROMIUM_FLAGS,
});
// tsx compiles this file with esbuild's keepNames, whose __name helper would be missing inside
// functions shipped to the page by page.evaluate.
await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
const page = context.pages()[0] ?? (await context.newPage());
const cdp = await context.newCDPSession(page);

const pct = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

async function openSeries(page: Page, study: RegExp, series: RegExp): Promise<number> {
  await page.getByRole('button', { name: 'Viewer' }).click();
  const select = page.getByTestId('study-select');
  await select.waitFor();
  const options = await select.locator('option').allTextContents();
  await select.selectOption({
    index: Math.max(
      0,
      options.findIndex((o) => study.test(o)),
    ),
  });
  await page.evaluate(() => performance.clearMarks());
  await page.getByTestId('series-list').getByRole('button', { name: series }).click();
  await page.waitForFunction(() => performance.getEntriesByName('osler:first-image').length > 0);
  return page.evaluate(() => {
    const click = performance.getEntriesByName('osler:series-click')[0]!.startTime;
    return performance.getEntriesByName('osler:first-image')[0]!.startTime - click;
  });
}

/** Scrolls `n` slices one key press at a time, as fast as renders come; per-slice ms. */
function scroll(page: Page, n: number): Promise<number[]> {
  return page.evaluate(async (count) => {
    const element = document.querySelector('[data-testid=viewport]')!;
    const times: number[] = [];
    let direction = 1;
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const done = new Promise<void>((r) => element.addEventListener('osler:rendered', () => r(), { once: true }));
      window.dispatchEvent(new KeyboardEvent('keydown', { key: direction > 0 ? 'ArrowDown' : 'ArrowUp' }));
      await done;
      times.push(performance.now() - t0);
      const text = document.querySelector('[data-testid=slice-index]')?.textContent ?? '';
      const [, at, of] = /Im (\d+)\/(\d+)/.exec(text) ?? [];
      if (Number(at) >= Number(of)) direction = -1;
      if (Number(at) <= 1) direction = 1;
    }
    return times;
  }, n);
}

/** JS heap plus ArrayBuffer backing stores (where decoded frames live), after a GC. */
async function heapMb(): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
  return (usage.usedSize + (usage.backingStorageSize ?? 0)) / 1024 / 1024;
}

await page.goto(host.url);
const firstImage: number[] = [];
for (let i = 0; i < 3; i++) {
  await page.reload();
  firstImage.push(await openSeries(page, /HEAD/, /28 images/));
}
console.log(`viewer.first_image_ms: ${pct(firstImage, 50).toFixed(0)} ms`);

await scroll(page, 28); // warm the cache
const times = await scroll(page, 200);
console.log(`viewer.scroll_frame_ms_p50: ${pct(times, 50).toFixed(1)} ms`);
console.log(`viewer.scroll_frame_ms_p95: ${pct(times, 95).toFixed(1)} ms`);
console.log(`viewer.renderer_heap_mb_28: ${(await heapMb()).toFixed(1)} MB`);

const transfer = await page.evaluate(async () => {
  const ws = new WebSocket(`ws://${location.host}/api`);
  ws.binaryType = 'arraybuffer';
  await new Promise((r) => ws.addEventListener('open', r, { once: true }));
  let id = 0;
  const call = (channel: string, input: unknown) =>
    new Promise<number>((resolve) => {
      const n = ++id;
      const t0 = performance.now();
      ws.addEventListener('message', function on(e) {
        // Binary answers carry their id in the header; one call is in flight at a time.
        ws.removeEventListener('message', on);
        void e;
        resolve(performance.now() - t0);
      });
      ws.send(JSON.stringify({ id: n, channel, input }));
    });
  const studies = await new Promise<Array<{ id: number; description: string | null }>>((resolve) => {
    ws.addEventListener('message', (e) => resolve(JSON.parse(e.data as string).result.value), { once: true });
    ws.send(JSON.stringify({ id: 9999, channel: 'studies.list', input: {} }));
  });
  void studies;
  const out: number[] = [];
  for (let i = 0; i < 60; i++) out.push(await call('frames.get', { instanceId: 1 + (i % 28), frame: 0 }));
  ws.close();
  return out.slice(10);
});
console.log(`viewer.frame_transfer_ms_p50: ${pct(transfer, 50).toFixed(1)} ms`);

if (hasDcmodify) {
  firstImage.length = 0;
  await page.reload();
  const first500 = await openSeries(page, /Bench study/, /500 images/);
  console.log(`viewer.first_image_ms_500: ${first500.toFixed(0)} ms`);
  const times500 = await scroll(page, 500);
  console.log(`viewer.scroll_frame_ms_p95_500: ${pct(times500, 95).toFixed(1)} ms`);
  console.log(`viewer.renderer_heap_mb_500: ${(await heapMb()).toFixed(1)} MB`);
} else console.log('# 500-slice series skipped: dcmodify (dcmtk) not installed');

await context.close();
await host.close();
await core.close();
rmSync(tmp, { recursive: true, force: true });
