import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'node_modules', '.bin', 'electronegativity');
const allow = JSON.parse(readFileSync(join(import.meta.dirname, 'electronegativity.allow.json'), 'utf8')) as {
  allowed: Array<{ check: string; file: string; reason: string }>;
};

function parseCsv(text: string): Array<{ check: string; file: string; sample: string }> {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''));
      return { check: cells[0]!, file: cells[3]!, sample: cells[5] ?? '' };
    });
}

describe.skipIf(!existsSync(bin))('Electron hardening checked by electronegativity', () => {
  it('finds nothing in the shell and the built page beyond the reviewed allow-list', () => {
    // The shell's sources plus the page as built (its CSP is filled in by the build).
    const page = join(root, 'dist', 'renderer', 'index.html');
    if (!existsSync(page)) execFileSync('npm', ['run', 'build:renderer'], { cwd: root, stdio: 'ignore' });
    const tmp = tempDir('osler-eneg-');
    try {
      const input = join(tmp.path, 'app');
      spawnSync('mkdir', [input]);
      for (const f of readdirSync(join(root, 'electron')).filter((f) => f.endsWith('.ts')))
        copyFileSync(join(root, 'electron', f), join(input, f));
      copyFileSync(page, join(input, 'index.html'));
      const out = join(tmp.path, 'findings.csv');
      // Offline, the tool's check for newer Electron releases fails fast and the scan goes on.
      spawnSync(bin, ['-i', input, '-e', '45.5.0', '-r', '-v', 'false', '-o', out], {
        stdio: 'ignore',
        timeout: 120_000,
      });
      expect(existsSync(out)).toBe(true);
      const findings = parseCsv(readFileSync(out, 'utf8'));
      const unexplained = findings.filter((f) => !allow.allowed.some((a) => a.check === f.check && a.file === f.file));
      expect(unexplained).toEqual([]);
      // Nothing security-relevant slipped in under an allowed check's name.
      const csp = findings.find((f) => f.check === 'CSP_GLOBAL_CHECK');
      if (csp) expect(csp.sample).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    } finally {
      tmp.cleanup();
    }
  }, 180_000);
});
