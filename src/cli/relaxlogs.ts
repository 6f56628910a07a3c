// relaxlogs: the rotating logger a service's log/run execs (README.md, relaxlogs). Flags of
// kazeburo/relaxlogs keep their meaning; usage errors exit 100, temporary failures 111.
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT_USAGE, runLogger } from '../relaxlogs/main.ts';
import { TIME_FORMATS } from '../relaxlogs/timestamp.ts';
import { parseDuration, parseSize, UsageError } from '../relaxlogs/units.ts';
import { LOCAL, namedZone, UTC, type Zone } from '../relaxlogs/zone.ts';
import pkg from '../../package.json' with { type: 'json' };

function usageError(message: string): never {
  process.stderr.write(`relaxlogs: usage: ${message}\nTry 'relaxlogs --help'.\n`);
  process.exit(EXIT_USAGE);
}

const argv = yargs(hideBin(process.argv))
  .scriptName('relaxlogs')
  .usage('relaxlogs [--log-dir DIR] [options]\n\nCopy stdin to DIR/log.%Y%m%d%H%M files, one per period, with a `current` link.')
  .options({
    'log-dir': { type: 'string', default: '', describe: 'log directory; empty or "stdout" = pass-through to stdout' },
    'rotation-time': { type: 'string', default: '60', describe: 'period (bare number = minutes; ms s m h d)' },
    'max-age': { type: 'string', default: '1440', describe: 'delete own files older than this (0 = never)' },
    'with-time': { type: 'boolean', default: false, describe: 'label lines ([dd/Mon/yyyy:HH:MM:SS +hhmm])' },
    'time-format': { type: 'string', describe: `label format: ${TIME_FORMATS.join(', ')} or strftime (implies labels)` },
    pattern: { type: 'string', default: 'log.%Y%m%d%H%M', describe: 'strftime file name' },
    'link-name': { type: 'string', default: 'current', describe: 'relative link to the active file ("" = none)' },
    'rotation-count': { type: 'number', default: 0, describe: 'keep at most N files (0 = no limit)' },
    'max-total-size': { type: 'string', default: '0', describe: 'keep at most this many bytes of files (0 = no limit)' },
    'rotation-size': { type: 'string', default: '0', describe: 'new generation .1, .2... past this size (0 = off)' },
    timezone: { type: 'string', describe: 'IANA zone for names, boundaries and labels (default: local)' },
    utc: { type: 'boolean', default: false, describe: 'same as --timezone UTC' },
    'create-empty': { type: 'boolean', default: false, describe: 'open each period\'s file at its start, even without input' },
    'purge-interval': { type: 'string', default: '1h', describe: 'also apply retention on this timer' },
    'buffer-size': { type: 'string', default: '1MiB', describe: 'largest write' },
    'flush-interval': { type: 'string', default: '0', describe: 'hold output up to this long (0 = write each read at once)' },
    fsync: { choices: ['rotate', 'interval', 'always', 'never'], default: 'rotate', describe: 'when to fsync' },
    'max-line': { type: 'string', default: '1MiB', describe: 'longest line before --long-lines applies (0 = no limit)' },
    'long-lines': { choices: ['split', 'truncate', 'keep'], default: 'split', describe: 'what to do with longer lines' },
    'last-line-timeout': { type: 'string', default: '2s', describe: 'on TERM, wait this long for the end of a partial line' },
    'on-write-error': { choices: ['retry', 'exit'], default: 'retry', describe: 'retry (back-pressure) or exit 111' },
    'retry-interval': { type: 'string', default: '5s', describe: 'pause between write retries' },
    tee: { type: 'boolean', default: false, describe: 'also copy input to stdout' },
    compress: { choices: ['gzip'], describe: 'gzip each file once rotation has closed it' },
    processor: { type: 'string', default: '', describe: 'sh -c CMD for each closed file (on stdin; $RELAXLOGS_FILE), retried' },
    'file-mode': { type: 'string', default: '0644', describe: 'mode of new files (octal)' },
    'dir-mode': { type: 'string', default: '0755', describe: 'mode of new directories (octal)' },
    lock: { type: 'boolean', default: true, describe: 'flock DIR/lock (--no-lock to skip); busy = exit 111' },
    'ready-fd': { type: 'number', describe: 'write a newline to this fd when ready' },
  })
  .strict()
  .fail((msg, err) => usageError(msg ?? err?.message ?? 'bad arguments'))
  .version(`${pkg.version}`)
  .alias('v', 'version')
  .help()
  .alias('h', 'help')
  .parseSync();

function mode(text: string, flag: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new UsageError(`${flag}: bad octal mode '${text}'`);
  return parseInt(text, 8);
}

function count(n: number | undefined, flag: string): number {
  if (n === undefined || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: a non-negative integer expected`);
  return n;
}

function zoneOf(): Zone {
  if (argv.utc) return UTC;
  if (argv.timezone === undefined) return LOCAL;
  try {
    return namedZone(argv.timezone);
  } catch {
    throw new UsageError(`--timezone: unknown zone '${argv.timezone}'`);
  }
}

try {
  if (argv._.length) throw new UsageError(`unexpected argument '${argv._[0]}'`);
  const dir = argv['log-dir'];
  runLogger({
    logDir: dir === '' || dir === 'stdout' ? null : path.resolve(dir),
    rotationTime: parseDuration(argv['rotation-time'], '--rotation-time'),
    maxAge: parseDuration(argv['max-age'], '--max-age'),
    timeFormat: argv['time-format'] ?? (argv['with-time'] ? 'apache' : null),
    pattern: argv.pattern,
    linkName: argv['link-name'],
    rotationCount: count(argv['rotation-count'], '--rotation-count'),
    maxTotalSize: parseSize(argv['max-total-size'], '--max-total-size'),
    rotationSize: parseSize(argv['rotation-size'], '--rotation-size'),
    zone: zoneOf(),
    createEmpty: argv['create-empty'],
    purgeInterval: parseDuration(argv['purge-interval'], '--purge-interval'),
    bufferSize: parseSize(argv['buffer-size'], '--buffer-size'),
    flushInterval: parseDuration(argv['flush-interval'], '--flush-interval'),
    fsync: argv.fsync as 'rotate' | 'interval' | 'always' | 'never',
    maxLine: parseSize(argv['max-line'], '--max-line'),
    longLines: argv['long-lines'] as 'split' | 'truncate' | 'keep',
    lastLineTimeout: parseDuration(argv['last-line-timeout'], '--last-line-timeout'),
    onWriteError: argv['on-write-error'] as 'retry' | 'exit',
    retryInterval: parseDuration(argv['retry-interval'], '--retry-interval'),
    tee: argv.tee,
    compress: argv.compress === 'gzip',
    processor: argv.processor,
    fileMode: mode(argv['file-mode'], '--file-mode'),
    dirMode: mode(argv['dir-mode'], '--dir-mode'),
    lock: argv.lock,
    readyFd: argv['ready-fd'] === undefined ? null : count(argv['ready-fd'], '--ready-fd'),
  });
} catch (err) {
  if (err instanceof UsageError) usageError(err.message);
  throw err;
}
