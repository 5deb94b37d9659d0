import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const osler = join(root, 'native/cli/osler.mjs');
const data = process.env.OSLER_DATA ?? join(root, '..', 'shared', 'data');

/**
 * Starts `osler serve` on a fresh data folder, as a user would, and hands its URL (with the
 * session token) to the tests through the environment. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const home = mkdtempSync(join(tmpdir(), 'osler-e2e-'));
  // Seed the store the way a user would, with the real head CT when the shared data is here.
  const headCt = join(data, 'dicom', 'ct-head-ge');
  const abdomen = join(data, 'dicom', 'ct-abdomen-3slice');
  if (existsSync(headCt) && existsSync(abdomen)) {
    execFileSync(process.execPath, [osler, 'import', 'dicom', headCt, abdomen, '--home', home, '--json'], {
      stdio: 'ignore',
    });
    process.env.OSLER_E2E_HEAD_CT = '1';
  }
  // Notes: the first 600 abstracts with their condition labels, the rest unlabelled (for triage).
  const abstracts = join(data, 'text', 'medical-abstracts', 'abstracts.csv');
  if (existsSync(abstracts)) {
    const notes = ['import', 'notes', abstracts, '--text-col', 'medical_abstract', '--home', home, '--json'];
    const labelled = ['--label-col', 'condition_label', '--label-task', 'condition', '--limit', '600'];
    execFileSync(process.execPath, [osler, ...notes, ...labelled], { stdio: 'ignore' });
    execFileSync(process.execPath, [osler, ...notes], { stdio: 'ignore' });
    process.env.OSLER_E2E_NOTES = '1';
  }
  // Vitals: every WFDB record (MIT-BIH 100 among them) and a few PhysioNet 2012 ICU stays.
  const wfdb = join(data, 'vitals', 'wfdb');
  const stays = join(data, 'vitals', 'physionet2012');
  if (existsSync(wfdb) && existsSync(stays)) {
    const vitals = [osler, 'import', 'vitals', '--home', home, '--json'];
    execFileSync(process.execPath, [...vitals, wfdb], { stdio: 'ignore' });
    execFileSync(process.execPath, [...vitals, stays, '--limit', '5'], { stdio: 'ignore' });
    process.env.OSLER_E2E_VITALS = '1';
  }
  // Site fine-tuning path (issue #8): train an image model on the labelled head CT PNGs, windowing
  // DICOM input with the brain window the PNGs were made with, so the viewer can show its
  // predictions and Grad-CAM on ct-head-ge. Small images and few epochs keep setup short here.
  const hemorrhage = join(data, 'images', 'head-ct-hemorrhage');
  if (process.env.OSLER_E2E_HEAD_CT && existsSync(join(hemorrhage, 'labels.csv'))) {
    const train = ['train', '--task', 'image', '--name', 'head-ct-hemorrhage', '--data', hemorrhage];
    const settings = ['--epochs', '6', '--image-size', '32', '--dicom-window', '40/80', '--quiet'];
    const out = execFileSync(process.execPath, [osler, ...train, ...settings, '--home', home, '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const run = JSON.parse(out) as { status: string; metrics: { final?: Record<string, unknown> } | null };
    const final = run.metrics?.final ?? {};
    const auc = (final.auc as { value?: number } | undefined)?.value;
    const figures = ['n', 'accuracy', 'aucLow', 'aucHigh', 'sensitivity', 'specificity']
      .map((k) => `${k} ${typeof final[k] === 'number' ? (final[k] as number).toFixed(3) : '?'}`)
      .concat(`auc ${auc?.toFixed(3) ?? '?'}`)
      .join(', ');
    process.stdout.write(`e2e setup: head-ct-hemorrhage ${run.status}; validation ${figures}\n`);
    process.env.OSLER_E2E_IMAGE_MODEL = 'head-ct-hemorrhage';
  }
  const child = spawn(process.execPath, [osler, 'serve', '--json', '--home', home], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('osler serve did not print its URL within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`osler serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  const { url } = JSON.parse(line) as { url: string };
  process.env.OSLER_E2E_URL = url;
  process.env.OSLER_E2E_HOME = home;
  return async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  };
}
