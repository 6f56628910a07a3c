// relaxlogs' command line without yargs: the defaults the docs list, --no-X and --X=false for every
// on/off flag, choices, forgotten values, and --help naming every option and the man page.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseRelaxlogsArgs, parseRelaxlogsCommand, relaxlogsHelp } from '../../src/relaxlogs/args.ts';
import { UsageError } from '../../src/relaxlogs/units.ts';
import { LOCAL, UTC } from '../../src/relaxlogs/zone.ts';
import { RELAXLOGS } from './helpers.ts';

describe('parseRelaxlogsArgs', () => {
  it('gives the documented defaults', () => {
    expect(parseRelaxlogsArgs([])).toEqual({
      logDir: null, rotationTime: 3_600_000, maxAge: 86_400_000, timeFormat: null, pattern: 'log.%Y%m%d%H%M',
      linkName: 'current', rotationCount: 0, maxTotalSize: 0, rotationSize: 0, zone: LOCAL, createEmpty: false,
      purgeInterval: 3_600_000, bufferSize: 1 << 20, flushInterval: 0, fsync: 'rotate', maxLine: 1 << 20,
      longLines: 'split', lastLineTimeout: 2000, onWriteError: 'retry', retryInterval: 5000, tee: false,
      compress: false, processor: '', fileMode: 0o644, dirMode: 0o755, lock: true, readyFd: null,
    });
  });

  it('reads both value forms, --no-X and --X=true|false, and lets the last of a repeated flag win', () => {
    const o = parseRelaxlogsArgs(['--log-dir=/var/log/x', '--no-lock', '--tee=true', '--utc', '--with-time',
      '--rotation-time', '90', '--rotation-time', '2h', '--link-name', '', '--compress', 'gzip', '--ready-fd', '3']);
    expect(o).toMatchObject({ logDir: '/var/log/x', lock: false, tee: true, zone: UTC, timeFormat: 'apache', rotationTime: 7_200_000, linkName: '', compress: true, readyFd: 3 });
    expect(parseRelaxlogsArgs(['--lock=false', '--lock']).lock).toBe(true);
    expect(parseRelaxlogsArgs(['--log-dir', 'stdout']).logDir).toBeNull();
  });

  it('refuses what yargs refused, naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['--bogus'], /unknown option '--bogus'/],
      [['--no-fsync'], /unknown option '--no-fsync'/],
      [['--fsync', 'sometimes'], /--fsync: one of rotate, interval, always, never/],
      [['--log-dir'], /--log-dir needs a value/],
      [['--log-dir', '--tee'], /--log-dir needs a value/],
      [['--tee=maybe'], /--tee: true or false/],
      [['--rotation-count', '-1'], /--rotation-count/],
      [['--ready-fd', 'x'], /--ready-fd: a non-negative integer/],
      [['--file-mode', '888'], /--file-mode: bad octal mode/],
      [['extra'], /unexpected argument 'extra'/],
      [['--help'], /--help prints and exits/],
    ];
    for (const [args, message] of cases) expect(() => parseRelaxlogsArgs(args), args.join(' ')).toThrow(message);
    expect(() => parseRelaxlogsArgs(['--bogus'])).toThrow(UsageError);
  });

  it('--help lists every option with its default and names the man page; -h and -v are aliases', () => {
    const help = relaxlogsHelp();
    for (const flag of ['--log-dir DIR', '--rotation-time DUR', '--buffer-size S', '--fsync MODE', '--lock', '--ready-fd N', '--compress gzip', '-v, --version']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('[default: "1MiB"]');
    expect(help.trimEnd().endsWith('See man relaxlogs(1) or doc/relaxlogs.md.')).toBe(true);
    expect(parseRelaxlogsCommand(['-h'])).toEqual({ action: 'help' });
    expect(parseRelaxlogsCommand(['-v'])).toEqual({ action: 'version' });
  });

  it('the program prints usage errors as relaxlogs: usage: ..., exit 100, and --help on stdout, exit 0', () => {
    const bad = spawnSync(RELAXLOGS, ['--fsync', 'sometimes'], { input: '', encoding: 'utf8' });
    expect(bad.status).toBe(100);
    expect(bad.stderr).toBe("relaxlogs: usage: --fsync: one of rotate, interval, always, never, not 'sometimes'\nTry 'relaxlogs --help'.\n");
    const help = spawnSync(RELAXLOGS, ['--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(relaxlogsHelp());
  });
});
