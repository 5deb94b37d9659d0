import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createCore, type Core } from '../app/core.js';
import { defaultHome, packageRoot } from '../app/paths.js';
import { OSLER_VERSION } from '../app/version.js';
import { OslerError, type AppInfo, type ChannelOutput, type HostMode } from '../contract/index.js';
import { startHost } from '../host/server.js';
import { parseCommand, parsePort } from './args.js';
import { DICOM_USAGE, dicomCommand } from './commands/dicom.js';
import { auditCommand, importCommand, IMPORT_USAGE, searchCommand } from './commands/import.js';
import { BACKUP_USAGE, backupCommand } from './commands/backup.js';
import { STATS_USAGE, statsCommand } from './commands/stats.js';
import {
  evaluateCommand,
  MODELS_USAGE,
  modelsCommand,
  predictCommand,
  trainCommand,
  trainStarterCommand,
} from './commands/models.js';
import { EXPORT_USAGE, exportCommand } from './commands/export.js';
import { downloadElectron, findChromium, findElectron, hasDisplay, openChromiumApp, runElectron } from './launch.js';

const ROOT = packageRoot(import.meta.url);
const RENDERER_DIR = join(ROOT, 'dist', 'renderer');

const USAGE = `osler ${OSLER_VERSION}: offline clinical AI workstation

Usage: osler <command> [options]

Commands:
  start               open the app (Electron; browser mode when Electron is unavailable)
  serve [--port N] [--open]
                      serve the app to a browser on 127.0.0.1 with a session token
  info                version, data folder, ML backend, store counts
  health              store integrity, data folder and ML backend checks
${DICOM_USAGE}
${IMPORT_USAGE}
${STATS_USAGE}
${BACKUP_USAGE}
${MODELS_USAGE}
${EXPORT_USAGE}

Options for every command:
  --home DIR          data folder (default: $OSLER_HOME, else the per-user data folder)
  --json              machine-readable output
  --version           print the version
  -h, --help          this help`;

/** Output of one command run: written by the entry point, returned for tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

function openCore(home: string | undefined, mode: HostMode): Core {
  return createCore({ home: resolve(home ?? defaultHome()), mode });
}

async function callOrThrow(core: Core, channel: 'app.info' | 'app.health'): Promise<unknown> {
  const result = await core.dispatch(channel, {}, { via: 'cli' });
  if (!result.ok) throw new OslerError(result.code, result.message);
  return result.value;
}

async function info(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommand(argv, {});
  const core = openCore(values.home, 'cli');
  try {
    const value = (await callOrThrow(core, 'app.info')) as AppInfo;
    if (values.json) io.out(JSON.stringify(value, null, 2));
    else {
      io.out(`Osler ${value.version}`);
      io.out(`data folder:  ${value.home}`);
      io.out(
        `ML backend:   ${value.backend.name} (${value.backend.threads} thread(s)${value.backend.simd ? ', SIMD' : ''})`,
      );
      for (const note of value.backend.notes) io.out(`              skipped ${note}`);
      io.out(
        `store:        schema ${value.schemaVersion}; ${Object.entries(value.counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
      );
    }
    return 0;
  } finally {
    await core.close();
  }
}

async function health(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommand(argv, {});
  const core = openCore(values.home, 'cli');
  try {
    const value = (await callOrThrow(core, 'app.health')) as ChannelOutput<'app.health'>;
    if (values.json) io.out(JSON.stringify(value, null, 2));
    else for (const c of value.checks) io.out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    return value.ok ? 0 : 1;
  } finally {
    await core.close();
  }
}

async function serve(argv: string[], io: Io, openBrowser = false): Promise<number> {
  const { values } = parseCommand(argv, { port: { type: 'string' }, open: { type: 'boolean', default: false } });
  const port = parsePort(values.port);
  if (!existsSync(join(RENDERER_DIR, 'index.html')))
    throw new OslerError('unavailable', `the renderer is not built (no ${RENDERER_DIR}); run: npm run build`);
  const core = openCore(values.home, 'browser');
  let host;
  try {
    host = await startHost({ core, rendererDir: RENDERER_DIR, port });
  } catch (error) {
    await core.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new OslerError('unavailable', `port ${port} is already in use`);
    throw error;
  }
  if (values.json) io.out(JSON.stringify({ url: host.url, port: host.port, home: core.home }));
  else {
    io.out(`Osler ${OSLER_VERSION} in browser mode, data folder ${core.home}`);
    io.out(`Open: ${host.url}`);
  }
  if (openBrowser || values.open) {
    const chromium = findChromium();
    if (chromium !== null && hasDisplay()) {
      openChromiumApp(chromium, host.url, join(core.home, 'browser-profile'));
      if (!values.json) io.out(`Opened ${chromium} in app mode.`);
    } else if (!values.json) {
      io.out(
        chromium === null
          ? 'No Chromium found: open the URL above in a browser.'
          : 'No display: open the URL above in a browser.',
      );
    }
  }
  await new Promise<void>((resolvePromise) => {
    const stop = () => resolvePromise();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.close();
  await core.close();
  return 0;
}

async function start(argv: string[], io: Io): Promise<number> {
  let electron = findElectron();
  if (!electron.ok && process.env.OSLER_NO_ELECTRON_DOWNLOAD !== '1') electron = downloadElectron();
  if (electron.ok) {
    const { values } = parseCommand(argv, { port: { type: 'string' }, open: { type: 'boolean' } });
    return runElectron(electron.path, ROOT, values.home ? ['--home', values.home] : []);
  }
  io.err(`osler: Electron is not available here (${electron.reason}); starting browser mode instead.`);
  return serve(argv, io, true);
}

/** Runs the CLI and returns the exit code; errors become one line on stderr. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case '--version':
      case '-v':
      case 'version':
        io.out(OSLER_VERSION);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      case 'info':
        return await info(rest, io);
      case 'health':
        return await health(rest, io);
      case 'serve':
        return await serve(rest, io);
      case 'start':
        return await start(rest, io);
      case 'dicom':
        return await dicomCommand(rest, io);
      case 'import':
        return await importCommand(rest, io);
      case 'search':
        return await searchCommand(rest, io);
      case 'audit':
        return await auditCommand(rest, io);
      case 'stats':
        return await statsCommand(rest, io);
      case 'backup':
      case 'restore':
        return await backupCommand(command, rest, io);
      case 'export':
        return await exportCommand(rest, io);
      case 'models':
        return await modelsCommand(rest, io);
      case 'train':
        return await trainCommand(rest, io);
      case 'train-starter':
        return await trainStarterCommand(rest, io);
      case 'predict':
        return await predictCommand(rest, io);
      case 'evaluate':
        return await evaluateCommand(rest, io);
      default:
        throw new OslerError('invalid-input', `unknown command "${command}" (see osler --help)`);
    }
  } catch (error) {
    const message =
      error instanceof OslerError
        ? error.message
        : error instanceof Error
          ? error.message.split('\n')[0]
          : String(error);
    io.err(`osler: ${message}`);
    return error instanceof OslerError && error.code === 'invalid-input' ? 2 : 1;
  }
}
