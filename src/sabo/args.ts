// Command line of `sabo` and `throttle` (doc/sabo.md, doc/throttle.md). Both names accept every
// option; they differ only in `-v` (sabo: version, throttle 1.2: verbose). A small pre-pass turns
// throttle's getopt forms (`-Kv`, `-s512`) into long options before protocol/options.ts sees them.
import { OptionError, optionsHelp, parseOptions, type OptionSpecs } from '../protocol/options.ts';
import { parseBurst, parseDuration, parseRate, parseSize, type Burst, type UnitSystem } from './units.ts';

export type ProgramName = 'sabo' | 'throttle';

export interface Options {
  /** Aggregate limit in bytes/s, before any control-file or FIFO change. */
  rate: number;
  units: UnitSystem;
  workDir: string | undefined;
  /** `<bw>` in the lock names; the integer rate unless --share-key. */
  shareKey: string;
  weight: number;
  refreshMs: number;
  burst: Burst;
  startFull: boolean;
  windowSec: number | undefined;
  blockSize: number;
  minBandwidth: number | undefined;
  stopAfter: number | undefined;
  controlFile: string | undefined;
  listenFifo: string | undefined;
  verbose: boolean;
  statsIntervalMs: number | undefined;
  progress: boolean;
  size: number | undefined;
  pidfile: string | undefined;
}

export type Command =
  | { action: 'run'; options: Options }
  | { action: 'tell'; fifo: string; rate: number | undefined; verbose: boolean | undefined }
  | { action: 'version' }
  | { action: 'help'; text: string };

export class UsageError extends Error {}

/** throttle's unit flags: multipliers of LIMIT to bytes/s. */
const UNIT_FLAGS: Record<string, number> = { b: 1 / 8, k: 1024 / 8, m: (1024 * 1024) / 8, B: 1, K: 1024, M: 1024 * 1024 };

const VALUE_SHORTS = 'Lswlt';

function prePass(argv: string[], name: ProgramName): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg.length > 2 && arg[0] === '-' && arg[1] !== '-' && VALUE_SHORTS.includes(arg[1]!)) {
      out.push(arg.slice(0, 2), arg.slice(2)); // `-s512`, `-L100M`
    } else if (/^-[bkmBKMqvVh]+$/.test(arg)) {
      for (const c of arg.slice(1)) {
        if (c in UNIT_FLAGS) out.push('--unit', c);
        else if (c === 'q') out.push('--quiet');
        else if (c === 'v') out.push(name === 'throttle' ? '--verbose' : '--version');
        else if (c === 'V') out.push('--version');
        else out.push('--help');
      }
    } else {
      out.push(arg);
    }
  }
  return out;
}

function convert<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new UsageError(`${what}: ${(err as Error).message}`);
  }
}

const OPTIONS = {
  'max-bandwidth': { type: 'string', arg: 'RATE', short: 'L', describe: 'aggregate limit in bytes/s' },
  'rate-limit': { type: 'string', arg: 'RATE', describe: 'the same (pv\'s spelling)' },
  units: { type: 'string', arg: 'SYSTEM', choices: ['si', 'iec'], default: 'si', describe: 'K M G as 1000^n or 1024^n' },
  unit: { type: 'string', arg: 'U', choices: Object.keys(UNIT_FLAGS), describe: 'throttle\'s unit flag of LIMIT' },
  'work-dir': { type: 'string', arg: 'DIR', describe: 'share the limit with every process using DIR' },
  'share-key': { type: 'string', arg: 'KEY', describe: 'group name in the lock files' },
  weight: { type: 'string', arg: 'N', default: '1', describe: 'shares taken' },
  'refresh-interval': { type: 'string', arg: 'DUR', default: '1s', describe: 'period of the recount of peers' },
  // A hard cap by default: no 1-second window above the limit (Go sabo's 1 s bucket catches up after a stall).
  burst: { type: 'string', arg: 'SIZE|DUR', default: '20ms', describe: 'depth of the token bucket' },
  'start-full': { type: 'boolean', default: false, describe: 'start with a full bucket' },
  window: { type: 'string', arg: 'DUR', short: 'w', describe: 'throttle\'s window algorithm' },
  'block-size': { type: 'string', arg: 'SIZE', short: 's', default: '64KiB', describe: 'largest write' },
  'min-bandwidth': { type: 'string', arg: 'RATE', describe: 'floor of this process\'s share' },
  'stop-after': { type: 'string', arg: 'SIZE', describe: 'copy SIZE bytes, then exit 0' },
  'control-file': { type: 'string', arg: 'PATH', describe: 'file holding the aggregate rate' },
  listen: { type: 'string', arg: 'FIFO', short: 'l', describe: 'accept rate changes on FIFO' },
  tell: { type: 'string', arg: 'FIFO', short: 't', describe: 'send LIMIT to the -l process on FIFO' },
  quiet: { type: 'boolean', describe: 'no statistics' },
  verbose: { type: 'boolean', describe: 'statistics at exit and on share changes' },
  'stats-interval': { type: 'string', arg: 'DUR', describe: 'statistics every DUR' },
  progress: { type: 'boolean', default: false, describe: 'a progress line on a terminal' },
  size: { type: 'string', arg: 'SIZE', describe: 'expected input size' },
  pidfile: { type: 'string', arg: 'PATH', describe: 'write the pid' },
  version: { type: 'boolean', describe: 'print the version' },
  help: { type: 'boolean', describe: 'print the usage' },
} as const satisfies OptionSpecs;

function usage(name: ProgramName): string {
  return `usage: ${name} --max-bandwidth RATE [--work-dir DIR] [options] < in > out
       ${name} [-bkmBKM] [-s blocksize] [-w window] [-l fifo | -t fifo] [-q | -v] LIMIT

Options:
${optionsHelp(OPTIONS)}
  -b -k -m / -B -K -M  LIMIT in bits, kilobits, megabits / bytes, KiB, MiB per second
  -q / -v              --quiet / ${name === 'throttle' ? '--verbose' : '--version'}; -V: --version

RATE: bytes/s; K M G = 1000^n, KiB MiB GiB = 1024^n; Mbit, Mbps: bits. Durations: 250ms, 1s, 1.5m.
Exit: 0 all input copied, 1 usage, 2 setup, 3 read error, 4 write error, 128+N signal N.
See man ${name}(1) or doc/${name}.md.
`;
}

export function parseCommandLine(argv: string[], name: ProgramName): Command {
  let parsed;
  try {
    parsed = parseOptions(prePass(argv, name), OPTIONS);
  } catch (err) {
    throw err instanceof OptionError ? new UsageError(err.message) : err;
  }
  const given = parsed.values;
  /** A value flag as given, else its default. */
  const text = (flag: keyof typeof OPTIONS): string | undefined => {
    const value = given[flag] ?? (OPTIONS[flag] as { default?: string | boolean }).default;
    return value === undefined ? undefined : String(value);
  };
  const a = {
    _: parsed.positionals,
    help: given.help === true,
    version: given.version === true,
    'max-bandwidth': text('max-bandwidth') ?? text('rate-limit'),
    units: text('units')!,
    unit: text('unit'),
    tell: text('tell'),
    quiet: given.quiet as boolean | undefined,
    verbose: given.verbose as boolean | undefined,
    'share-key': text('share-key'),
    weight: Number(text('weight')),
    'block-size': text('block-size')!,
    window: text('window'),
    'work-dir': text('work-dir'),
    'refresh-interval': text('refresh-interval')!,
    burst: text('burst')!,
    'start-full': given['start-full'] === true,
    'min-bandwidth': text('min-bandwidth'),
    'stop-after': text('stop-after'),
    'control-file': text('control-file'),
    listen: text('listen'),
    'stats-interval': text('stats-interval'),
    progress: given.progress === true,
    size: text('size'),
    pidfile: text('pidfile'),
  };
  if (a.help) return { action: 'help', text: usage(name) };
  if (a.version) return { action: 'version' };

  const units = a.units as UnitSystem;
  const positional = a._.map(String);
  if (positional.length > 1) throw new UsageError(`unexpected argument: ${positional[1]}`);
  const limitText = positional[0];
  const bandwidthText = a['max-bandwidth'];
  if (limitText !== undefined && bandwidthText !== undefined) throw new UsageError('give either --max-bandwidth or LIMIT, not both');
  let rate: number | undefined;
  if (bandwidthText !== undefined) rate = convert('--max-bandwidth', () => parseRate(bandwidthText, units));
  if (limitText !== undefined) rate = convert('LIMIT', () => parseRate(limitText, units) * UNIT_FLAGS[a.unit ?? 'B']!);
  const verbose = a.quiet ? false : a.verbose;

  if (a.tell !== undefined) return { action: 'tell', fifo: a.tell, rate, verbose };
  if (rate === undefined) throw new UsageError('--max-bandwidth RATE (or LIMIT) is required');

  const shareKey = a['share-key'] ?? String(Math.floor(rate));
  if (!/^[A-Za-z0-9.-]+$/.test(shareKey)) throw new UsageError('--share-key: letters, digits, "." and "-" only');
  if (!Number.isInteger(a.weight) || a.weight < 1) throw new UsageError('--weight: a positive integer');
  const optionalSize = (flag: string, text: string | undefined) =>
    text === undefined ? undefined : convert(flag, () => parseSize(text, units));
  const blockSize = Math.floor(convert('--block-size', () => parseSize(a['block-size'], units)));
  if (blockSize < 1) throw new UsageError('--block-size: at least 1 byte');
  const windowSec = a.window === undefined ? undefined : convert('--window', () => parseDuration(a.window!) / 1000);

  return {
    action: 'run',
    options: {
      rate,
      units,
      workDir: a['work-dir'],
      shareKey,
      weight: a.weight,
      refreshMs: convert('--refresh-interval', () => parseDuration(a['refresh-interval'])),
      burst: convert('--burst', () => parseBurst(a.burst, units)),
      startFull: a['start-full'],
      windowSec,
      blockSize,
      minBandwidth: a['min-bandwidth'] === undefined ? undefined : convert('--min-bandwidth', () => parseRate(a['min-bandwidth']!, units)),
      stopAfter: a['stop-after'] === undefined ? undefined : Math.floor(optionalSize('--stop-after', a['stop-after'])!),
      controlFile: a['control-file'],
      listenFifo: a.listen,
      verbose: verbose ?? false,
      statsIntervalMs: a['stats-interval'] === undefined ? undefined : convert('--stats-interval', () => parseDuration(a['stats-interval']!)),
      progress: a.progress,
      size: optionalSize('--size', a.size),
      pidfile: a.pidfile,
    },
  };
}
