// svscan's command line (doc/svscan.md, Options): util.parseArgs, the usage text, and the checks of
// each value. Usage errors print `svscan: usage: ...` and exit 100; --help and --version exit 0.
import { isatty } from 'node:tty';
import { parseArgs } from 'node:util';
import { EXIT_USAGE } from '../protocol/exit-codes.ts';
import { VERSION } from '../protocol/version.ts';
import type { LogFormat } from './diagnostics.ts';

export interface SvscanOptions {
  dir: string;
  rescanIntervalMs: number;
  killTimeoutMs: number;
  startHoldMs: number;
  startConcurrency: number;
  format: LogFormat;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** --log-dir: svscan's own messages in rotated files there. */
  logDir: string | undefined;
  watch: boolean;
  subreaper: boolean;
  logStdout: boolean;
}

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

/** The options of `svscan ARGS...`; exits on --help, --version and bad usage. */
export function parseSvscanArgs(args: string[]): SvscanOptions {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
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
  return {
    dir, rescanIntervalMs, killTimeoutMs, startHoldMs, startConcurrency, format, logLevel: argv['log-level'], logDir,
    watch: argv.watch, subreaper: values.subreaper ?? false, logStdout: values['log-stdout'] ?? false,
  };
}
