import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportStudyDeidentified } from '../../../native/deid/studyExport.js';
import { decodeFrame, parseDicom } from '../../../native/dicom/index.js';
import { openStore } from '../../../native/store/database.js';
import { importDicom } from '../../../native/store/dicomImport.js';
import { listStudies } from '../../../native/store/imaging.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const hasDcmdump = spawnSync('which', ['dcmdump']).status === 0;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Decoded stored values of frame 0, as a hash and a length (a diff of 147,456 numbers would not help). */
async function pixelsOf(bytes: Uint8Array): Promise<{ length: number; sha256: string }> {
  const values = Array.from((await decodeFrame(parseDicom(bytes), 0)).values as ArrayLike<number>);
  return { length: values.length, sha256: createHash('sha256').update(Int32Array.from(values)).digest('hex') };
}

describe.skipIf(!data)('de-identified export across transfer syntaxes (needs the shared data folder)', () => {
  const tmp = tempDir('osler-deid-ts-');
  afterAll(() => tmp.cleanup());

  it('exports the MR slice in all nine transfer syntaxes with identical decoded pixels', async () => {
    const src = join(data!, 'dicom', 'mr-transfer-syntaxes');
    const home = join(tmp.path, 'home');
    mkdirSync(home);
    const store = openStore(join(home, 'osler.sqlite'));
    try {
      await importDicom(store.db, home, [src]);
      const studies = listStudies(store.db);
      expect(studies).toHaveLength(1);
      const out = join(tmp.path, 'out');
      const r = exportStudyDeidentified(store.db, home, String(studies[0]!.id), { out, actor: 'test' });
      expect(r.instances).toBe(9);
      const exported = walk(out).filter((f) => f.endsWith('.dcm'));
      // Pixels of every export match the explicit-LE source (all nine are lossless encodings of one slice).
      const reference = await pixelsOf(readFileSync(join(src, '1_explicit_LE.dcm')));
      const syntaxes = new Set<string>();
      for (const f of exported) {
        const bytes = readFileSync(f);
        const ds = parseDicom(bytes);
        syntaxes.add(ds.transferSyntaxUid);
        expect({ f: ds.transferSyntaxUid, ...(await pixelsOf(bytes)) }).toEqual({
          f: ds.transferSyntaxUid,
          ...reference,
        });
        if (hasDcmdump) expect(spawnSync('dcmdump', ['-q', '+E', f], { encoding: 'utf8' }).stderr).toBe('');
      }
      // Every syntax is kept (the two JPEG lossless and the two JPEG-LS files share theirs).
      expect(syntaxes.size).toBe(7);
      expect(syntaxes.has('1.2.840.10008.1.2.2')).toBe(true);
    } finally {
      store.close();
    }
  });

  it('leaves structured reports out with a reason, refusing a study that has nothing else', async () => {
    const home = join(tmp.path, 'home-sr');
    mkdirSync(home);
    const store = openStore(join(home, 'osler.sqlite'));
    try {
      await importDicom(store.db, home, [join(data!, 'dicom', 'dicomparser-samples')]);
      const sr = listStudies(store.db).find((s) => s.modalities === 'SR');
      expect(sr).toBeDefined();
      expect(() =>
        exportStudyDeidentified(store.db, home, String(sr!.id), { out: join(tmp.path, 'sr'), actor: 'test' }),
      ).toThrowError(/structured report/);
      const us = listStudies(store.db).find((s) => s.modalities === 'US');
      // Ultrasound that does not state Burned In Annotation is refused unless allowed.
      expect(() =>
        exportStudyDeidentified(store.db, home, String(us!.id), { out: join(tmp.path, 'us'), actor: 'test' }),
      ).toThrowError(/US without Burned In Annotation/);
    } finally {
      store.close();
    }
  });
});
