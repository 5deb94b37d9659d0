import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createCore } from '../../app/core.js';
import { defaultHome } from '../../app/paths.js';
import type { ChannelOutput } from '../../contract/channels.js';
import { OslerError } from '../../contract/result.js';
import {
  decodeFrameRaw,
  dicomInfo,
  isDicomParseError,
  jpeg2000DecoderName,
  parseDicom,
  transferSyntax,
  type DecodeStage,
} from '../../dicom/index.js';
import { parseCommand } from '../args.js';
import type { CommandIo } from './import.js';

/** Usage of the commands in this file, for `osler --help`. */
export const DICOM_USAGE = `  import dicom PATH...  import DICOM files and folders (recursive, DICOMDIR aware, by content);
                      re-importing changes nothing; skipped files are listed with a reason
  dicom info FILE     transfer syntax, geometry, pixel module and presets of one file
  dicom decode FILE [--frame N] [--stage stored|modality|display] [--out RAW]
                      decode one frame; prints a summary (md5, min, max), writes raw values with --out`;

/** `osler import dicom PATH...`. */
export async function importDicomCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {});
  if (positionals.length === 0) throw new OslerError('invalid-input', 'usage: osler import dicom PATH...');
  const core = createCore({ home: resolve(values.home ?? defaultHome()), mode: 'cli' });
  let last = 0;
  const stop = core.on('import.progress', (p) => {
    if (values.json || Date.now() - last < 1000) return;
    last = Date.now();
    io.err(
      `  ... ${p.filesSeen} file(s): ${p.imported} imported, ${p.duplicates} already present, ${p.skipped} skipped`,
    );
  });
  try {
    const result = await core.dispatch('dicom.import', { paths: positionals.map((p) => resolve(p)) }, { via: 'cli' });
    if (!result.ok) throw new OslerError(result.code, result.message);
    const r = result.value as ChannelOutput<'dicom.import'>;
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else {
      io.out(
        `dicom: ${r.filesSeen} file(s): ${r.imported} imported, ${r.duplicates} already present, ${r.skipped} skipped`,
      );
      io.out(`  ${r.studyIds.length} study(ies), ${r.seriesIds.length} series received new images`);
      for (const s of r.skippedFiles) io.out(`  skipped ${s.path}: ${s.reason}`);
      if (r.skipped > r.skippedFiles.length) io.out(`  ... and ${r.skipped - r.skippedFiles.length} more`);
    }
    return 0;
  } finally {
    stop();
    await core.close();
  }
}

const STAGES: readonly DecodeStage[] = ['stored', 'modality', 'display'];

/** `osler dicom info|decode FILE`: inspect one file without importing it. */
export async function dicomCommand(argv: string[], io: CommandIo): Promise<number> {
  const [what, ...rest] = argv;
  const { values, positionals } = parseCommand(rest, {
    frame: { type: 'string' },
    stage: { type: 'string' },
    out: { type: 'string' },
  });
  if ((what !== 'info' && what !== 'decode') || positionals.length !== 1)
    throw new OslerError('invalid-input', 'usage: osler dicom info|decode FILE');
  const file = resolve(positionals[0]!);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new OslerError('not-found', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const ds = parseDicom(bytes);
    if (what === 'info') {
      const info = {
        ...dicomInfo(ds),
        // Native addon or wasm: the two decode alike, but the native one is about 1.5x faster.
        ...(transferSyntax(ds.transferSyntaxUid)?.codec === 'jpeg2000' ? { decoder: jpeg2000DecoderName() } : {}),
      };
      io.out(
        values.json
          ? JSON.stringify(info, null, 2)
          : Object.entries(info)
              .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
              .join('\n'),
      );
      return 0;
    }
    const frame = values.frame === undefined ? 0 : Number(values.frame);
    if (!Number.isInteger(frame) || frame < 0)
      throw new OslerError('invalid-input', `--frame must be a non-negative integer, got "${values.frame}"`);
    const stage = (values.stage ?? 'stored') as DecodeStage;
    if (!STAGES.includes(stage)) throw new OslerError('invalid-input', `--stage must be stored, modality or display`);
    const raw = await decodeFrameRaw(ds, frame, stage);
    if (values.out) await writeFile(resolve(values.out), raw.bytes);
    io.out(
      values.json
        ? JSON.stringify(raw.summary)
        : Object.entries(raw.summary)
            .map(([k, v]) => `${k}: ${v}`)
            .join('\n'),
    );
    return 0;
  } catch (error) {
    if (isDicomParseError(error)) throw new OslerError('invalid-input', `${file}: ${error.reason}: ${error.message}`);
    throw error;
  }
}
