import { resolve } from 'node:path';
import { createCore } from '../../app/core.js';
import { actorOf } from '../../app/handlers/caseStore.js';
import { defaultHome } from '../../app/paths.js';
import { OslerError } from '../../contract/result.js';
import { exportNotesDeidentified } from '../../deid/notesExport.js';
import { exportStudyDeidentified } from '../../deid/studyExport.js';
import { parseCommand } from '../args.js';
import type { CommandIo } from './import.js';

/** Usage of the commands in this file, for `osler --help`. */
export const EXPORT_USAGE = `  export --deidentify --study UID|ID --out DIR [--retain-dates] [--allow-burned-in]
                      write a stored study de-identified by the DICOM PS3.15 Basic Application
                      Level Confidentiality Profile (new UIDs, private tags dropped, dates removed
                      or, with --retain-dates, shifted per patient); refuses images flagged
                      Burned In Annotation unless --allow-burned-in
  export --deidentify --notes [--patient KEY] --out FILE.jsonl [--retain-dates]
                      write notes with dates, phone numbers, e-mail, record numbers and the
                      record's names replaced by [DATE] [PHONE] [EMAIL] [ID] [NAME]`;

/** `osler export --deidentify ...`. */
export async function exportCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    deidentify: { type: 'boolean', default: false },
    study: { type: 'string' },
    notes: { type: 'boolean', default: false },
    patient: { type: 'string' },
    out: { type: 'string' },
    'retain-dates': { type: 'boolean', default: false },
    'allow-burned-in': { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new OslerError('invalid-input', `unexpected argument "${positionals[0]}"`);
  if (!values.deidentify)
    throw new OslerError('invalid-input', 'osler exports only de-identified data: pass --deidentify');
  if ((values.study === undefined) === !values.notes)
    throw new OslerError('invalid-input', 'export needs exactly one of --study UID|ID and --notes');
  if (values.out === undefined || values.out === '') throw new OslerError('invalid-input', 'export needs --out');
  if (values.notes && values['allow-burned-in'])
    throw new OslerError('invalid-input', '--allow-burned-in applies to --study only');
  if (values.study !== undefined && values.patient !== undefined)
    throw new OslerError('invalid-input', '--patient applies to --notes only');

  const core = createCore({ home: resolve(values.home ?? defaultHome()), mode: 'cli' });
  try {
    if (values.study !== undefined) {
      const r = exportStudyDeidentified(core.store.db, core.home, values.study, {
        out: values.out,
        actor: actorOf({ via: 'cli' }),
        retainDates: values['retain-dates'] === true,
        allowBurnedIn: values['allow-burned-in'] === true,
      });
      if (values.json)
        io.out(
          JSON.stringify(
            {
              folder: r.folder,
              studyUid: r.studyUid,
              series: r.series,
              instances: r.instances,
              bytes: r.bytes,
              retainDates: r.retainDates,
              burnedIn: r.burnedIn,
              skipped: r.skipped,
              stats: r.stats,
              manifest: r.manifest,
            },
            null,
            2,
          ),
        );
      else {
        io.out(`export: ${r.instances} instance(s) in ${r.series} series de-identified into ${r.folder}`);
        io.out(
          `  ${r.stats.removed} removed, ${r.stats.emptied} emptied, ${r.stats.replaced} replaced, ` +
            `${r.stats.uidsReplaced} UIDs replaced, ${r.stats.privateRemoved} private removed, ` +
            `${r.stats.privateKept} safe private kept, ` +
            (r.retainDates ? `${r.stats.datesShifted} dates shifted` : 'dates removed'),
        );
        if (r.burnedIn > 0)
          io.out(`  warning: ${r.burnedIn} image(s) may show identifying text burned into the pixels`);
        for (const s of r.skipped)
          io.out(`  skipped series ${s.series ?? '?'} instance ${s.instance ?? '?'}: ${s.reason}`);
      }
    } else {
      const r = exportNotesDeidentified(core.store.db, {
        out: values.out,
        actor: actorOf({ via: 'cli' }),
        retainDates: values['retain-dates'] === true,
        ...(values.patient === undefined ? {} : { patientKey: values.patient }),
      });
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else {
        io.out(`export: ${r.notes} note(s) of ${r.patients} patient(s) de-identified into ${r.file}`);
        io.out(
          `  replaced ${Object.entries(r.replaced)
            .map(([k, n]) => `${n} [${k}]`)
            .join(', ')}${r.retainDates ? ' (dates shifted, not replaced)' : ''}`,
        );
      }
    }
    return 0;
  } finally {
    await core.close();
  }
}
