// svscan [DIR]: supervise every service directory in DIR from one process (doc/svscan.md).
// Exit codes: 0 after an orderly stop (SIGTERM/SIGINT), 100 usage error, 111 DIR unusable at start-up
// or an internal fatal error (services are left running; a new svscan adopts them).
import { statSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { djbErrorText } from '../protocol/errors.ts';
import { createLogger, type LogFormat } from '../scan/log.ts';
import { Scanner } from '../scan/scanner.ts';
import pkg from '../../package.json' with { type: 'json' };

const EXIT_USAGE = 100;
const EXIT_FATAL = 111;

function usageError(message: string): never {
  process.stderr.write(`svscan: usage: ${message}\nTry 'svscan --help'.\n`);
  process.exit(EXIT_USAGE);
}

function seconds(value: number, flag: string, min: number): number {
  if (!Number.isFinite(value) || value < min) usageError(`--${flag} must be a number of seconds >= ${min}`);
  return Math.round(value * 1000);
}

const argv = yargs(hideBin(process.argv))
  .scriptName('svscan')
  .usage('svscan [DIR]\n\nSupervise every subdirectory of DIR (default .) from one process: start, restart, log pipes, svc/svstat.')
  .options({
    'rescan-interval': { type: 'number', default: 5, describe: 'full rescan every this many seconds (fs.watch rescans at once)' },
    'kill-timeout': { type: 'number', default: 10, describe: 'on stop: KILL the process group this many seconds after TERM' },
    'log-format': { choices: ['json', 'pretty'], describe: 'svscan\'s own messages on stderr (default: pretty on a TTY, else json)' },
    'log-level': { choices: ['debug', 'info', 'warn', 'error'], default: 'info', describe: 'least severe message written' },
    watch: { type: 'boolean', default: true, describe: 'watch DIR with inotify (--no-watch: periodic and signalled rescans only)' },
    'start-hold': { type: 'number', default: 1, describe: 'seconds between two starts of a service (daemontools: 1)' },
    'start-concurrency': { type: 'number', default: 32, describe: 'service directories taken in charge at the same time' },
  })
  .strictOptions()
  .fail((msg, err) => usageError(msg ?? err?.message ?? 'bad arguments'))
  .version(pkg.version)
  .alias('v', 'version')
  .help()
  .alias('h', 'help')
  .parseSync();

if (argv._.length > 1) usageError('svscan [DIR]');
const dir = argv._.length ? String(argv._[0]) : '.';
const rescanIntervalMs = seconds(argv['rescan-interval'], 'rescan-interval', 0.05);
const killTimeoutMs = seconds(argv['kill-timeout'], 'kill-timeout', 0);
const startHoldMs = seconds(argv['start-hold'], 'start-hold', 0);
const startConcurrency = argv['start-concurrency'];
if (!Number.isInteger(startConcurrency) || startConcurrency < 1) usageError('--start-concurrency must be an integer >= 1');
const format = (argv['log-format'] ?? (process.stderr.isTTY ? 'pretty' : 'json')) as LogFormat;
const log = createLogger(format, 2, argv['log-level']);

try {
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
} catch (err) {
  log.fatal({ dir }, `unable to chdir to ${dir}: ${djbErrorText(err)}`);
  process.exit(EXIT_FATAL);
}

const scanner = new Scanner({ dir, logger: log, rescanIntervalMs, killTimeoutMs, watch: argv.watch, startHoldMs, startConcurrency });

function shutdown(signal: NodeJS.Signals): void {
  log.info({ signal }, 'stopping: services first, then their loggers');
  scanner.stop().then(() => {
    log.info('svscan exits');
    process.exit(0);
  }, (err: unknown) => {
    log.fatal({ err: String(err) }, 'stop failed');
    process.exit(EXIT_FATAL);
  });
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('SIGHUP', () => scanner.rescan('SIGHUP'));
process.on('SIGALRM', () => scanner.rescan('SIGALRM'));
process.on('uncaughtException', (err) => {
  // Services run in their own sessions and survive this; a new svscan adopts them.
  log.fatal({ err: err.stack ?? String(err) }, 'internal error: svscan exits, services keep running; start svscan again to adopt them');
  process.exit(EXIT_FATAL);
});

scanner.start();
