import { resolve } from 'node:path';
import { createCore, type Core } from '../../app/core.js';
import { defaultHome } from '../../app/paths.js';
import type { ChannelName, ChannelOutput, ChannelInput } from '../../contract/channels.js';
import { OslerError } from '../../contract/result.js';
import { parseCommand } from '../args.js';
import { importDicomCommand } from './dicom.js';

/** Where a command writes (the CLI's stdout/stderr, or a test's buffers). */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** Exit code of an import in which some records were reported and skipped. */
export const EXIT_PARTIAL = 4;

/** Usage of the commands in this file, for `osler --help`. */
export const IMPORT_USAGE = `  import notes FILE|FOLDER [--text-col C] [--label-col C] [--label-task T] [--id-col C]
                      [--patient-col C] [--date-col C] [--title-col C] [--format csv|tsv|jsonl|txt]
                      [--encoding E] [--kind K] [--limit N]
                      import notes from CSV/TSV/JSONL or a folder of .txt files; --text-col,
                      --label-col and --label-task take comma lists or repeat; labels become
                      label rows with source "imported"; re-importing changes nothing
  import vitals PATH [--encoding E]
                      import WFDB records (.hea + signals + annotations), PhysioNet 2012 stays
                      (set-x/*.txt, Outcomes-x.txt as labels) and vitals CSV/TSV files (long:
                      time,parameter,value[,unit]; wide: a time column + one column per signal,
                      units as "HR (bpm)") from a file or folder
                      (exit code ${EXIT_PARTIAL}: imported, but some records were reported and skipped)
  search QUERY [--limit N]
                      full-text search of notes with highlighted snippets
  audit [--action A] [--limit N]
                      the audit log, newest first`;

function openCore(home: string | undefined): Core {
  return createCore({ home: resolve(home ?? defaultHome()), mode: 'cli' });
}

async function call<K extends ChannelName>(core: Core, channel: K, input: ChannelInput<K>): Promise<ChannelOutput<K>> {
  const result = await core.dispatch(channel, input, { via: 'cli' });
  if (!result.ok) throw new OslerError(result.code, result.message);
  return result.value as ChannelOutput<K>;
}

const list = (values: string[] | undefined): string[] | undefined =>
  values === undefined
    ? undefined
    : values
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== '');

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new OslerError('invalid-input', `${flag} must be a positive integer, got "${value}"`);
  return n;
}

function withProgress(core: Core, io: CommandIo, quiet: boolean): () => void {
  if (quiet) return () => undefined;
  let last = 0;
  return core.on('records.importProgress', (p) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    const pct = p.total > 0 ? ` ${Math.min(100, Math.round((100 * p.done) / p.total))}%` : '';
    io.err(`  ...${pct} ${p.records} record(s), ${p.failed} failed`);
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function importNotesCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    'text-col': { type: 'string', multiple: true },
    'label-col': { type: 'string', multiple: true },
    'label-task': { type: 'string', multiple: true },
    'id-col': { type: 'string' },
    'patient-col': { type: 'string' },
    'date-col': { type: 'string' },
    'title-col': { type: 'string' },
    format: { type: 'string' },
    encoding: { type: 'string' },
    kind: { type: 'string' },
    limit: { type: 'string' },
  });
  if (positionals.length !== 1)
    throw new OslerError('invalid-input', 'usage: osler import notes FILE|FOLDER [options]');
  const format = values.format;
  if (format !== undefined && !['csv', 'tsv', 'jsonl', 'txt'].includes(format))
    throw new OslerError('invalid-input', `--format must be csv, tsv, jsonl or txt, got "${format}"`);
  const input: ChannelInput<'notes.import'> = { path: resolve(positionals[0]!) };
  const optional = {
    format: format as 'csv' | 'tsv' | 'jsonl' | 'txt' | undefined,
    encoding: values.encoding,
    textCol: list(values['text-col']),
    labelCol: list(values['label-col']),
    labelTask: list(values['label-task']),
    idCol: values['id-col'],
    patientCol: values['patient-col'],
    dateCol: values['date-col'],
    titleCol: values['title-col'],
    kind: values.kind,
    limit: positiveInt(values.limit, '--limit'),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (input as Record<string, unknown>)[k] = v;
  const core = openCore(values.home);
  const stop = withProgress(core, io, values.json);
  try {
    const s = await call(core, 'notes.import', input);
    if (values.json) io.out(JSON.stringify(s, null, 2));
    else {
      const enc =
        s.encoding === null
          ? Object.entries(s.encodings)
              .map(([e, n]) => `${n} ${e}`)
              .join(', ') || 'no files'
          : `${s.encoding.encoding}${s.encoding.bom ? ' with BOM' : ''} (by ${s.encoding.method})`;
      io.out(`notes: ${s.source} (${s.format}, ${enc})`);
      io.out(
        `  text from ${s.columns.text.join(' + ')}${s.columns.labels.length > 0 ? `; labels ${s.columns.labels.map((l) => `${l.column} -> ${l.task}`).join(', ')}` : ''}`,
      );
      io.out(
        `  ${s.records} record(s): ${s.inserted} new, ${s.updated} updated, ${s.unchanged} unchanged; ${s.labelsWritten} label(s) written; ${s.failed} failed; ${seconds(s.durationMs)}`,
      );
      for (const e of s.errors)
        io.out(`  ${e.file === null ? '' : `${e.file}: `}${e.line > 0 ? `line ${e.line}: ` : ''}${e.message}`);
      if (s.failed > s.errors.length) io.out(`  ... and ${s.failed - s.errors.length} more`);
      if (!s.complete) io.out('  import stopped early (see above); fix the file and run it again');
    }
    return !s.complete ? 1 : s.failed > 0 ? EXIT_PARTIAL : 0;
  } finally {
    stop();
    await core.close();
  }
}

async function importVitalsCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, { limit: { type: 'string' }, encoding: { type: 'string' } });
  if (positionals.length !== 1) throw new OslerError('invalid-input', 'usage: osler import vitals PATH');
  const limit = positiveInt(values.limit, '--limit');
  const core = openCore(values.home);
  const stop = withProgress(core, io, values.json);
  try {
    const s = await call(core, 'vitals.import', {
      path: resolve(positionals[0]!),
      ...(limit === undefined ? {} : { limit }),
      ...(values.encoding === undefined ? {} : { encoding: values.encoding }),
    });
    if (values.json) io.out(JSON.stringify(s, null, 2));
    else {
      io.out(`vitals: ${s.root}`);
      io.out(
        `  ${s.records} record(s) (${s.wfdbRecords} WFDB, ${s.stays} PhysioNet 2012 stays): ${s.inserted} new, ${s.updated} updated, ${s.unchanged} unchanged; ${s.failed} failed`,
      );
      io.out(
        `  ${s.signals} signal(s), ${s.samples} sample(s), ${s.annotations} annotation(s), ${s.labelsWritten} label(s) written; ${seconds(s.durationMs)}`,
      );
      for (const e of s.errors) io.out(`  ${e.file}${e.line > 0 ? `:${e.line}` : ''}: ${e.message}`);
    }
    return !s.complete ? 1 : s.failed > 0 || s.errors.length > 0 ? EXIT_PARTIAL : 0;
  } finally {
    stop();
    await core.close();
  }
}

/** `osler import notes|vitals ...`. */
export async function importCommand(argv: string[], io: CommandIo): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'dicom') return importDicomCommand(rest, io);
  if (what === 'notes') return importNotesCommand(rest, io);
  if (what === 'vitals') return importVitalsCommand(rest, io);
  throw new OslerError(
    'invalid-input',
    `usage: osler import dicom|notes|vitals PATH (got ${what === undefined ? 'nothing' : `"${what}"`})`,
  );
}

/** `osler search QUERY`: full-text search of notes. */
export async function searchCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, { limit: { type: 'string' } });
  if (positionals.length === 0) throw new OslerError('invalid-input', 'usage: osler search QUERY [--limit N]');
  const limit = positiveInt(values.limit, '--limit') ?? 10;
  const core = openCore(values.home);
  try {
    const r = await call(core, 'notes.search', { query: positionals.join(' '), limit: Math.min(limit, 200) });
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else {
      io.out(
        `${r.total} note(s) match${r.ranked < r.total ? ` (the ${r.ranked} most recently added ranked by relevance, the rest newest first)` : ''}`,
      );
      for (const h of r.hits) {
        let marked = '';
        let at = 0;
        for (const [a, b] of h.highlights) {
          marked += `${h.snippet.slice(at, a)}[${h.snippet.slice(a, b)}]`;
          at = b;
        }
        marked += h.snippet.slice(at);
        io.out(`#${h.id}${h.title ? ` ${h.title}` : ''}: ${marked.replace(/\s+/g, ' ')}`);
      }
    }
    return 0;
  } finally {
    await core.close();
  }
}

/** `osler audit`: the audit log, newest first. */
export async function auditCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommand(argv, { action: { type: 'string' }, limit: { type: 'string' } });
  const limit = Math.min(positiveInt(values.limit, '--limit') ?? 50, 1000);
  const core = openCore(values.home);
  try {
    const r = await call(core, 'audit.list', {
      limit,
      ...(values.action === undefined ? {} : { action: values.action }),
    });
    if (values.json) io.out(JSON.stringify(r.rows, null, 2));
    else
      for (const row of r.rows)
        io.out(
          `${row.at} ${row.actor} ${row.action}${row.targetKind ? ` ${row.targetKind}${row.targetId === null ? '' : ` ${row.targetId}`}` : ''}${row.detail ? ` ${JSON.stringify(row.detail)}` : ''}`,
        );
    return 0;
  } finally {
    await core.close();
  }
}
