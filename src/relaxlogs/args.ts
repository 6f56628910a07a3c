// relaxlogs' command line, parsed by protocol/options.ts on util.parseArgs (yargs cost ~100 ms and ~12 MB a start,
// doc/design.md, "The chosen stack"). Flags of kazeburo/relaxlogs keep their meaning; every boolean also takes
// --no-X and --X=true|false. The same parser reads options that are not on a command line (svscan's
// built-in logger), hence a function that throws UsageError rather than one that exits.
import path from 'node:path';
import { OptionError, optionsHelp, parseOptions, type OptionSpec, type OptionSpecs } from '../protocol/options.ts';
import type { LongLines } from './framer.ts';
import type { LoggerOptions } from './main.ts';
import type { FsyncMode } from './rotating-file.ts';
import { TIME_FORMATS } from './timestamp.ts';
import { parseDuration, parseSize, UsageError } from './units.ts';
import { LOCAL, namedZone, UTC, type Zone } from './zone.ts';

const FSYNC_MODES = ['rotate', 'interval', 'always', 'never'] as const satisfies readonly FsyncMode[];
const LONG_LINES = ['split', 'truncate', 'keep'] as const satisfies readonly LongLines[];

const OPTIONS = {
  'log-dir': { type: 'string', arg: 'DIR', default: '', describe: 'log directory; empty or "stdout" = pass-through to stdout' },
  'rotation-time': { type: 'string', arg: 'DUR', default: '60', describe: 'period (bare number = minutes; ms s m h d)' },
  'max-age': { type: 'string', arg: 'DUR', default: '1440', describe: 'delete own files older than this (0 = never)' },
  'with-time': { type: 'boolean', default: false, describe: 'label lines ([dd/Mon/yyyy:HH:MM:SS +hhmm])' },
  'time-format': { type: 'string', arg: 'F', describe: `label format: ${TIME_FORMATS.join(', ')} or strftime (implies labels)` },
  pattern: { type: 'string', arg: 'PAT', default: 'log.%Y%m%d%H%M', describe: 'strftime file name' },
  'link-name': { type: 'string', arg: 'N', default: 'current', describe: 'relative link to the active file ("" = none)' },
  'rotation-count': { type: 'string', arg: 'N', default: '0', describe: 'keep at most N files (0 = no limit)' },
  'max-total-size': { type: 'string', arg: 'S', default: '0', describe: 'keep at most this many bytes of files (0 = no limit)' },
  'rotation-size': { type: 'string', arg: 'S', default: '0', describe: 'new generation .1, .2... past this size (0 = off)' },
  timezone: { type: 'string', arg: 'TZ', describe: 'IANA zone for names, boundaries and labels (default: local)' },
  utc: { type: 'boolean', default: false, describe: 'same as --timezone UTC' },
  'create-empty': { type: 'boolean', default: false, describe: 'open each period\'s file at its start, even without input' },
  'purge-interval': { type: 'string', arg: 'DUR', default: '1h', describe: 'also apply retention on this timer' },
  'buffer-size': { type: 'string', arg: 'S', default: '1MiB', describe: 'largest write' },
  'flush-interval': { type: 'string', arg: 'DUR', default: '0', describe: 'hold output up to this long (0 = write each read at once)' },
  fsync: { type: 'string', arg: 'MODE', choices: FSYNC_MODES, default: 'rotate', describe: 'when to fsync' },
  'max-line': { type: 'string', arg: 'S', default: '1MiB', describe: 'longest line before --long-lines applies (0 = no limit)' },
  'long-lines': { type: 'string', arg: 'M', choices: LONG_LINES, default: 'split', describe: 'what to do with longer lines' },
  'last-line-timeout': { type: 'string', arg: 'DUR', default: '2s', describe: 'on TERM, wait this long for the end of a partial line' },
  'on-write-error': { type: 'string', arg: 'M', choices: ['retry', 'exit'], default: 'retry', describe: 'retry (back-pressure) or exit 111' },
  'retry-interval': { type: 'string', arg: 'DUR', default: '5s', describe: 'pause between write retries' },
  tee: { type: 'boolean', default: false, describe: 'also copy input to stdout' },
  compress: { type: 'string', arg: 'gzip', choices: ['gzip'], describe: 'gzip each file once rotation has closed it' },
  processor: { type: 'string', arg: 'CMD', default: '', describe: 'sh -c CMD for each closed file (on stdin; $RELAXLOGS_FILE), retried' },
  'file-mode': { type: 'string', arg: 'MODE', default: '0644', describe: 'mode of new files (octal)' },
  'dir-mode': { type: 'string', arg: 'MODE', default: '0755', describe: 'mode of new directories (octal)' },
  lock: { type: 'boolean', default: true, describe: 'flock DIR/lock (--no-lock to skip); busy = exit 111' },
  'ready-fd': { type: 'string', arg: 'N', describe: 'write a newline to this fd when ready' },
  version: { type: 'boolean', short: 'v', describe: 'print the version' },
  help: { type: 'boolean', short: 'h', describe: 'print this help' },
} as const satisfies OptionSpecs;

type Name = keyof typeof OPTIONS;

export function relaxlogsHelp(): string {
  return `relaxlogs [--log-dir DIR] [options]

Copy stdin to DIR/log.%Y%m%d%H%M files, one per period, with a \`current\` link.

Options:
${optionsHelp(OPTIONS)}

Every on/off flag also takes --no-FLAG.
Durations: N (minutes), Nms, Ns, Nm, Nh, Nd. Sizes: N, NK, NM, NG (also KiB, MiB, GiB).
Exit codes: 0 end of input, 100 usage, 111 temporary failure (directory, lock, --on-write-error exit).
See man relaxlogs(1) or doc/relaxlogs.md.
`;
}

export type RelaxlogsCommand = { action: 'run'; options: LoggerOptions } | { action: 'help' } | { action: 'version' };

/** Reads `argv` (without node and script); throws UsageError with a message naming the flag. */
export function parseRelaxlogsCommand(argv: readonly string[]): RelaxlogsCommand {
  let parsed;
  try {
    parsed = parseOptions(argv, OPTIONS);
  } catch (err) {
    throw err instanceof OptionError ? new UsageError(err.message) : err;
  }
  const { values, positionals } = parsed;
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.help) return { action: 'help' };
  if (values.version) return { action: 'version' };

  const text = (name: Name): string => String(values[name] ?? (OPTIONS[name] as OptionSpec).default);
  const flag = (name: Name): boolean => Boolean(values[name] ?? (OPTIONS[name] as OptionSpec).default);
  const dir = text('log-dir');
  const timeFormat = values['time-format'] as string | undefined;
  return {
    action: 'run',
    options: {
      logDir: dir === '' || dir === 'stdout' ? null : path.resolve(dir),
      rotationTime: parseDuration(text('rotation-time'), '--rotation-time'),
      maxAge: parseDuration(text('max-age'), '--max-age'),
      timeFormat: timeFormat ?? (flag('with-time') ? 'apache' : null),
      pattern: text('pattern'),
      linkName: text('link-name'),
      rotationCount: count(text('rotation-count'), '--rotation-count'),
      maxTotalSize: parseSize(text('max-total-size'), '--max-total-size'),
      rotationSize: parseSize(text('rotation-size'), '--rotation-size'),
      zone: zoneOf(flag('utc'), values.timezone as string | undefined),
      createEmpty: flag('create-empty'),
      purgeInterval: parseDuration(text('purge-interval'), '--purge-interval'),
      bufferSize: parseSize(text('buffer-size'), '--buffer-size'),
      flushInterval: parseDuration(text('flush-interval'), '--flush-interval'),
      fsync: text('fsync') as FsyncMode,
      maxLine: parseSize(text('max-line'), '--max-line'),
      longLines: text('long-lines') as LongLines,
      lastLineTimeout: parseDuration(text('last-line-timeout'), '--last-line-timeout'),
      onWriteError: text('on-write-error') as 'retry' | 'exit',
      retryInterval: parseDuration(text('retry-interval'), '--retry-interval'),
      tee: flag('tee'),
      compress: values.compress === 'gzip',
      processor: text('processor'),
      fileMode: mode(text('file-mode'), '--file-mode'),
      dirMode: mode(text('dir-mode'), '--dir-mode'),
      lock: flag('lock'),
      readyFd: values['ready-fd'] === undefined ? null : count(values['ready-fd'] as string, '--ready-fd'),
    },
  };
}

/** relaxlogs' options as a LoggerOptions, for callers that only run the logger. */
export function parseRelaxlogsArgs(argv: readonly string[]): LoggerOptions {
  const command = parseRelaxlogsCommand(argv);
  if (command.action !== 'run') throw new UsageError(`--${command.action} prints and exits; it configures no logger`);
  return command.options;
}

function mode(text: string, flag: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new UsageError(`${flag}: bad octal mode '${text}'`);
  return parseInt(text, 8);
}

function count(text: string, flag: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: a non-negative integer expected, not '${text}'`);
  return n;
}

function zoneOf(utc: boolean, timezone: string | undefined): Zone {
  if (utc) return UTC;
  if (timezone === undefined) return LOCAL;
  try {
    return namedZone(timezone);
  } catch {
    throw new UsageError(`--timezone: unknown zone '${timezone}'`);
  }
}
