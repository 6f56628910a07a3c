// svscan [DIR]: supervise every service directory in DIR from one process (doc/svscan.md).
// Exit codes: 0 after an orderly stop (SIGTERM/SIGINT), 100 usage error, 111 DIR unusable at start-up
// or an internal fatal error (services are left running; a new svscan adopts them).
import { readdirSync, statSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { parseArgs } from 'node:util';
import { djbErrorText } from '../protocol/errors.ts';
import { createLogger, type LogFormat } from '../svscan/diagnostics.ts';
import { Scanner } from '../svscan/scanner.ts';
import { OrphanReaper } from '../svscan/reaper.ts';
import { essentialExitCode, keepDown } from '../svscan/essential.ts';
import { StdoutLogs } from '../svscan/stdout-logs.ts';
import type { OwnLog } from '../svscan/own-log.ts';
import { VERSION } from '../protocol/version.ts';

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

const HELP = `svscan [DIR]

Supervise every subdirectory of DIR (default .) from one process: start, restart, log pipes, svc/svstat.

Options:
  --rescan-interval SECONDS   full rescan every this many seconds; fs.watch rescans at once   [default: 5]
  --kill-timeout SECONDS      on stop: KILL the process group this long after TERM            [default: 10]
  --log-format json|pretty    svscan's own messages on stderr          [default: pretty on a TTY, else json]
  --log-level LEVEL           debug, info, warn or error                                      [default: info]
  --log-dir DIR               svscan's own messages as JSON lines in rotated files in DIR instead (daily, 31 days)
  --no-watch                  no inotify: periodic and signalled (HUP, ALRM) rescans only
  --start-hold SECONDS        least time between two starts of a service (daemontools: 1)     [default: 1]
  --start-concurrency N       service directories taken in charge at the same time            [default: 32]
  --subreaper                 adopt and reap orphans of services (PR_SET_CHILD_SUBREAPER); always on as PID 1
  --log-stdout                services without log/: stdout and stderr to svscan's stdout, "NAME: " before each line
  -h, --help                  this text
  -v, --version               the version

Exit codes: 0 after SIGTERM/SIGINT once every service is down; an essential service's exit code (128 + signal
when killed) after its death stopped every service; 100 usage; 111 DIR unusable or internal error.
See man svscan (doc/svscan.md).
`;

const OPTIONS = {
  'rescan-interval': { type: 'string' },
  'kill-timeout': { type: 'string' },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  'log-dir': { type: 'string' },
  watch: { type: 'boolean' },
  'no-watch': { type: 'boolean' },
  'start-hold': { type: 'string' },
  'start-concurrency': { type: 'string' },
  subreaper: { type: 'boolean' },
  'log-stdout': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

let parsed;
try {
  parsed = parseArgs({ args: process.argv.slice(2), options: OPTIONS, allowPositionals: true, strict: true });
} catch (err) {
  usageError((err as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (values.version) {
  process.stdout.write(`${VERSION}\n`);
  process.exit(0);
}
function number(flag: keyof typeof OPTIONS, fallback: number): number {
  const text = values[flag];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(n)) usageError(`--${flag}: not a number: ${String(text)}`);
  return n;
}
function choice<T extends string>(flag: keyof typeof OPTIONS, allowed: readonly T[]): T | undefined {
  const text = values[flag];
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) usageError(`--${flag}: one of ${allowed.join(', ')}`);
  return text as T;
}
const argv = {
  _: positionals,
  'rescan-interval': number('rescan-interval', 5),
  'kill-timeout': number('kill-timeout', 10),
  'start-hold': number('start-hold', 1),
  'start-concurrency': number('start-concurrency', 32),
  'log-format': choice('log-format', ['json', 'pretty'] as const),
  'log-level': choice('log-level', ['debug', 'info', 'warn', 'error'] as const) ?? 'info',
  watch: values['no-watch'] ? false : values.watch ?? true,
};

if (argv._.length > 1) usageError('svscan [DIR]');
const dir = argv._.length ? String(argv._[0]) : '.';
const rescanIntervalMs = seconds(argv['rescan-interval'], 'rescan-interval', 0.05);
const killTimeoutMs = seconds(argv['kill-timeout'], 'kill-timeout', 0);
const startHoldMs = seconds(argv['start-hold'], 'start-hold', 0);
const startConcurrency = argv['start-concurrency'];
if (!Number.isInteger(startConcurrency) || startConcurrency < 1) usageError('--start-concurrency must be an integer >= 1');
const format = (argv['log-format'] ?? (isatty(2) ? 'pretty' : 'json')) as LogFormat;
const logDir = values['log-dir'];
if (logDir === '') usageError('--log-dir: a directory expected');
const stderrLog = createLogger(format, 2, argv['log-level']);
// --log-dir: every message into DIR's rotated files (svscan/own-log.ts, loaded only then), stderr
// until it is open and for its own problems. Before anything else, so that the rest lands there.
let ownLog: OwnLog | undefined;
const log = logDir === undefined ? stderrLog : createLogger('json', 2, argv['log-level'], {
  write: (line) => {
    if (ownLog) ownLog.write(line);
    else try { writeSync(2, line); } catch { /* stderr closed */ }
  },
});
const ownLogOpen = logDir === undefined ? Promise.resolve() : import('../svscan/own-log.ts').then(({ OwnLog }) => {
  try {
    ownLog = new OwnLog(logDir, stderrLog);
  } catch (err) {
    stderrLog.fatal({ dir: logDir }, `unable to log to ${logDir}: ${(err as Error).message}`);
    process.exit(EXIT_FATAL);
  }
  process.on('exit', () => ownLog!.close());
});

function checkScanDir(): void {
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    log.fatal({ dir }, `unable to chdir to ${dir}: ${djbErrorText(err)}`);
    process.exit(EXIT_FATAL);
  }
}

let reaper: OrphanReaper | undefined;
const stdoutLogs = values['log-stdout'] ? new StdoutLogs(log) : undefined;
const scanner = new Scanner({
  dir, logger: log, rescanIntervalMs, killTimeoutMs, watch: argv.watch, startHoldMs, startConcurrency,
  unloggedStdio: stdoutLogs && ((name, serviceDir) => stdoutLogs.stdioFor(name, serviceDir)),
  onServiceEvent: (e) => {
    stdoutLogs?.onServiceEvent(e);
    const code = essentialExitCode(e);
    if (code === undefined) return;
    log.warn({ service: e.name, code }, `essential service ${e.name} died (${e.dir}/essential): stopping every service, svscan exits ${code}`);
    shutdown('essential', code);
    keepDown(e);
  },
});

let shuttingDown = false;
/** The orderly stop; the first cause decides the exit code (a TERM during it changes nothing). */
function shutdown(cause: NodeJS.Signals | 'essential', exitCode = 0): void {
  if (shuttingDown) return;
  shuttingDown = true;
  if (cause !== 'essential') log.info({ signal: cause }, 'stopping: services first, then their loggers');
  scanner.stop().then(async () => {
    await reaper?.endLeftovers(killTimeoutMs);
    await stdoutLogs?.close();
    log.info({ exitCode }, 'svscan exits');
    process.exit(exitCode);
  }, (err: unknown) => {
    log.fatal({ err: String(err) }, 'stop failed');
    process.exit(EXIT_FATAL);
  });
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
// What the supervisor itself costs, on demand (relaxlogs answers USR1 the same way): memory, fds, and
// its CPU time as a share of one core since the previous SIGUSR1 (since start the first time).
let lastCpu = { at: Date.now() - process.uptime() * 1000, usage: { user: 0, system: 0 } };
process.on('SIGUSR1', () => {
  const now = { at: Date.now(), usage: process.cpuUsage() };
  const cpuMs = (now.usage.user + now.usage.system - lastCpu.usage.user - lastCpu.usage.system) / 1000;
  const cpuShare = cpuMs / Math.max(1, now.at - lastCpu.at);
  lastCpu = now;
  const memory = process.memoryUsage();
  let openFds: number | null;
  try {
    openFds = readdirSync('/proc/self/fd').length - 1; // less the one reading the listing
  } catch {
    openFds = null;
  }
  log.info({ ...scanner.stats(), rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, openFds, cpuShare: Number(cpuShare.toFixed(4)) }, 'stats');
});
// Upgrade or hand-over (doc/svscan.md, Signals): exit now, every service and logger left running in
// its own session; the next svscan adopts them. Built-in loggers (src/logd/) end with svscan.
process.on('SIGQUIT', () => {
  log.info({ signal: 'SIGQUIT' }, 'exiting now and leaving every service running: the next svscan adopts them');
  process.exit(0);
});
process.on('SIGHUP', () => scanner.rescan('SIGHUP'));
process.on('SIGALRM', () => scanner.rescan('SIGALRM'));
process.on('uncaughtException', (err) => {
  // Services run in their own sessions and survive this; a new svscan adopts them.
  log.fatal({ err: err.stack ?? String(err) }, 'internal error: svscan exits, services keep running; start svscan again to adopt them');
  process.exit(EXIT_FATAL);
});

// As PID 1 (a container) or a subreaper, orphans are ours to reap (svscan/reaper.ts); before the
// first service starts, so that none of its orphans is missed.
ownLogOpen.then(() => {
  checkScanDir();
  return OrphanReaper.start(log, values.subreaper ?? false);
}).then((r) => {
  reaper = r;
  scanner.start();
}, (err: unknown) => {
  // Services still run; only orphans stay zombies. Not fatal: a container would restart in a loop.
  log.error({ err: String(err) }, `unable to reap orphans (koffi, libc.so.6): ${(err as Error)?.message ?? err}; orphans of services stay zombies: reinstall svtools with its dependencies, or run svscan under tini`);
  scanner.start();
});
