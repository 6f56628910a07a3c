// svscan's built-in logger (src/logd/): a log/ with a `relaxlogs` options file and no run script is
// written by svscan itself, and S/log still answers every client as a supervised directory: svok,
// svstat (ours and daemontools'), svc (ours and daemontools'), status.json with the logger's figures.
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bin, HAVE_DAEMONTOOLS, isAlive, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { ext, readText, sh, startSvscan, upPid } from './helpers.ts';
import { builtinService, checkNumbers, COUNTER, logFiles, logLines } from './builtin-logger-helpers.ts';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

const TICKER = '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo $i; sleep 0.01; done\n';
const svc = (...args: string[]) => sh(bin('svc'), args);
const lastNumber = (dir: string) => checkNumbers(logLines(dir)).last;

it('writes every line of S, in order, into log/relaxlogs\' --log-dir (relative to log/), with labels; no logger process', async () => {
  const s = builtinService(sb, 'counter', COUNTER, '# the built-in logger\n--log-dir ./main   --with-time\n--rotation-count 10 # keep ten');
  const scan = startSvscan(sb, sb.path('scan'));
  const pid = await upPid(s);
  const main = join(s, 'log', 'main');
  await waitFor('20,000 lines logged', () => existsSync(join(main, 'current')) && checkNumbers(logLines(main).map((l) => l.replace(/^\[[^\]]+\] /, ''))).last >= 20_000, 30_000);
  const lines = logLines(main);
  expect(lines[0]).toMatch(/^\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] 1$/);
  const check = checkNumbers(lines.map((l) => l.replace(/^\[[^\]]+\] /, '')));
  expect(check.gaps).toEqual([]);
  expect(check.notNumbers).toBe(0);
  // S/log's "pid" is svscan's own: no process was started for it.
  expect(statusPid(join(s, 'log'))).toBe(scan.pid);
  expect(ext(join(s, 'log'))?.pidStartTicks).toBeNull();
  const children = readFileSync(`/proc/${scan.pid}/task/${scan.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  expect(children).toEqual([pid]);
  expect(readlinkSync(join(main, 'current'))).toMatch(/^log\.\d+$/);
});

it('S/log answers svok, svstat and svc (ours and daemontools\'): -a rotates, -d stops reading without loss, -u resumes, -p/-c, -t restarts, -x ends the slot', async () => {
  const s = builtinService(sb, 'ticker', TICKER);
  const log = join(s, 'log');
  const main = join(log, 'main');
  const scan = startSvscan(sb, sb.path('scan'), ['--rescan-interval', '0.5']);
  await upPid(s);
  await waitFor('lines logged', () => lastNumber(main) >= 20);
  expect(sh(bin('svok'), [log]).code).toBe(0);
  const tools = HAVE_DAEMONTOOLS ? [[bin('svc'), bin('svstat')], ['/usr/bin/svc', '/usr/bin/svstat']] : [[bin('svc'), bin('svstat')]];
  for (const [svcTool, svstatTool] of tools) {
    expect(sh(svstatTool!, [log]).stdout).toMatch(new RegExp(`^${log}: up \\(pid ${scan.pid}\\) \\d+ seconds\\n$`));
    // -a: a new file at the next line boundary.
    const before = logFiles(main).length;
    sh(svcTool!, ['-a', log]);
    await waitFor(`${svcTool} -a: a new file`, () => logFiles(main).length === before + 1);
    const n = lastNumber(main);
    await waitFor('lines in the new file', () => lastNumber(main) > n + 5);
    expect(readFileSync(logFiles(main).at(-1)!, 'latin1').length).toBeGreaterThan(0);
  }
  expect(checkNumbers(logLines(main)).gaps).toEqual([]);

  // -d: down, want down; S keeps writing into the held pipe, nothing is read.
  svc('-d', log);
  await waitFor('S/log down', () => statusPid(log) === 0);
  expect(sh(bin('svstat'), [log]).stdout).toMatch(/: down \d+ seconds, normally up\n$/);
  const stoppedAt = lastNumber(main);
  await new Promise((r) => setTimeout(r, 600));
  expect(lastNumber(main)).toBe(stoppedAt);
  svc('-u', log);
  await waitFor('reading again, past what was written while down', () => lastNumber(main) > stoppedAt + 60);
  expect(checkNumbers(logLines(main)).gaps).toEqual([]);
  expect(statusPid(log)).toBe(scan.pid);
  expect(ext(log)?.restarts).toBe(1);

  // -p / -c: the paused flag, and reading stops and goes on.
  svc('-p', log);
  await waitFor('paused', () => /, paused\n$/.test(sh(bin('svstat'), [log]).stdout));
  expect(ext(log)?.logger?.reading).toBe(false);
  const pausedAt = lastNumber(main);
  await new Promise((r) => setTimeout(r, 600));
  expect(lastNumber(main)).toBe(pausedAt);
  svc('-c', log);
  await waitFor('reading after -c', () => lastNumber(main) > pausedAt + 20);

  // -t: a restart (flush, close, reopen), counted.
  svc('-t', log);
  await waitFor('restart counted', () => ext(log)?.restarts === 2);
  const restartedAt = lastNumber(main);
  await waitFor('lines after the restart', () => lastNumber(main) > restartedAt + 20);
  expect(checkNumbers(logLines(main)).gaps).toEqual([]);

  // The logger's figures in status.json.
  await waitFor('figures in status.json', () => (ext(log)?.logger?.lines ?? 0) > 0);
  const figures = ext(log)!.logger!;
  expect(figures).toMatchObject({ kind: 'relaxlogs', logDir: main, backpressure: false, lastError: null });
  expect(figures.currentFile).toBe(join(main, readlinkSync(join(main, 'current'))));
  expect(figures.bytesWritten).toBeGreaterThan(0);

  // -x: the slot ends (svok fails), svscan takes it again at its next scan, nothing lost.
  svc('-x', log);
  await waitFor('S/log taken again', () => scan.has((r) => r.service === 'ticker/log' && r.msg.startsWith('supervision ended')));
  await waitFor('logging again after -x', () => sh(bin('svok'), [log]).code === 0 && ext(log)?.pid === scan.pid);
  const xAt = lastNumber(main);
  await waitFor('lines after -x', () => lastNumber(main) > xAt + 20);
  expect(checkNumbers(logLines(main)).gaps).toEqual([]);
  expect(isAlive(statusPid(s))).toBe(true);
});

it('a bad options file is reported once, with the file and the flag, and S/log logs everything as soon as it is fixed', async () => {
  const s = builtinService(sb, 'bad', TICKER, '--log-dir ./main --rotation-count many');
  const log = join(s, 'log');
  const scan = startSvscan(sb, sb.path('scan'));
  await upPid(s);
  await waitFor('the problem reported', () => scan.has((r) => r.service === 'bad/log' && /--rotation-count/.test(r.msg) && r.msg.includes(join(log, 'relaxlogs'))));
  await new Promise((r) => setTimeout(r, 2500));
  expect(scan.records().filter((r) => r.service === 'bad/log' && /--rotation-count/.test(r.msg))).toHaveLength(1);
  expect(statusPid(log)).toBe(0);
  // svscan and S go on; the operator fixes the file.
  expect(isAlive(scan.pid!)).toBe(true);
  writeFileSync(join(log, 'relaxlogs'), '--log-dir ./main\n');
  await waitFor('logging once the file is fixed', () => lastNumber(join(log, 'main')) > 10);
  expect(statSync(join(log, 'main')).isDirectory()).toBe(true);
  // What S wrote meanwhile waited in the pipe.
  expect(checkNumbers(logLines(join(log, 'main'))).gaps).toEqual([]);
});

it('log/multilog: a multilog script run by the built-in logger (directories relative to log/), svc -a rotates it', async () => {
  const s = sb.service('scan/ml', TICKER);
  mkdirSync(join(s, 'log'));
  writeFileSync(join(s, 'log', 'multilog'), '# daemontools\' script\nt s4096 n5 ./main\n');
  const log = join(s, 'log');
  const main = join(log, 'main');
  const scan = startSvscan(sb, sb.path('scan'));
  await upPid(s);
  const numbers = () => readText(join(main, 'current')).split('\n').filter(Boolean).map((l) => l.replace(/^@[0-9a-f]{24} /, ''));
  await waitFor('multilog writing', () => numbers().length > 20);
  expect(readText(join(main, 'current'))).toMatch(/^@4[0-9a-f]{23} 1\n/);
  expect(statusPid(log)).toBe(scan.pid);
  expect(ext(log)?.logger).toMatchObject({ kind: 'multilog', logDir: main });
  sh(bin('svc'), ['-a', log]);
  await waitFor('a rotated @ file', () => readdirSync(main).some((f) => /^@[0-9a-f]{24}\.s$/.test(f)));
});

it('svstat --json, -o and the monitoring formats show the built-in logger\'s figures', async () => {
  const s = builtinService(sb, 'shown', TICKER);
  const log = join(s, 'log');
  startSvscan(sb, sb.path('scan'));
  await upPid(s);
  await waitFor('figures in status.json', () => (ext(log)?.logger?.lines ?? 0) > 5);
  const json = JSON.parse(sh(bin('svstat'), ['--json', s]).stdout) as { log: { logger: Record<string, unknown> }; logger: unknown };
  expect(json.logger).toBeNull();
  expect(json.log.logger).toMatchObject({ kind: 'relaxlogs', log_dir: join(log, 'main'), backpressure: false, reading: true, last_error: null });
  expect(json.log.logger.bytes_written).toBeGreaterThan(0);
  const [bytes, lines, pressure] = sh(bin('svstat'), ['-o', 'logbytes,loglines,logbackpressure', s]).stdout.trim().split(/\s+/);
  expect(Number(bytes)).toBeGreaterThan(0);
  expect(Number(lines)).toBeGreaterThan(5);
  expect(pressure).toBe('0');
  const prom = sh(bin('svstat'), ['--format=prometheus', s]).stdout;
  expect(prom).toMatch(/^supervise_logger_written_bytes_total\{service="[^"]*shown\/log"\} [1-9]\d*$/m);
  expect(prom).toMatch(/^supervise_logger_backpressure\{service="[^"]*shown\/log"\} 0$/m);
  expect(prom).not.toMatch(/^supervise_logger_\w+\{service="[^"]*shown"\}/m);
  expect(sh(bin('svstat'), ['--format=mackerel', s]).stdout).toMatch(/^supervise\.log_bytes\.\S*shown_log\t[1-9]\d*\t\d+$/m);
});

it('svscan\'s stop: the built-in logger reads to the end of input and ends there, not when the 2 s EOF grace gives up on it', async () => {
  // A service whose shell leaves no child holding the pipe: its end is the pipe's end of input.
  const s = builtinService(sb, 'lines', '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo $i; done\n');
  const scan = startSvscan(sb, sb.path('scan'));
  await upPid(s);
  const main = join(s, 'log', 'main');
  await waitFor('lines logged', () => lastNumber(main) >= 100);
  scan.kill('SIGTERM');
  await waitFor('svscan to exit', () => scan.exitCode !== null || scan.signalCode !== null, 30_000);
  const at = (pred: (r: { msg: string; service?: string }) => boolean) => scan.records().find(pred)?.time as number;
  const stopping = at((r) => r.msg === 'stopping every service');
  const logEnded = at((r) => r.msg === 'exited' && r.service === 'lines/log');
  // Ended by its end of input (milliseconds), not by the grace's close (2,000 ms later).
  expect(logEnded - stopping).toBeLessThan(1500);
  expect(checkNumbers(logLines(main)).gaps).toEqual([]);
});
