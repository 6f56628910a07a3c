// The built-in logger's durability, as relaxlogs' own tests and log-pipe.test.ts ask of a logger:
// kill -9 of svscan with the pipe held (S survives, same pid, blocked rather than killed by SIGPIPE;
// the next svscan writes what S wrote meanwhile, nothing duplicated or reordered), and switching
// a service between log/run and the built-in logger while it writes, without losing a line.
import { existsSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bin, isAlive, processState, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { exitOf, ext, sh, startSvscan, upPid } from './helpers.ts';
import { builtinService, checkNumbers, COUNTER, logLines } from './builtin-logger-helpers.ts';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

const READ_BOUND = 64 * 1024;

it('kill -9 of svscan: S lives on (same pid) blocked on the held pipe, and the next svscan logs what it wrote, in order, once', async () => {
  const s = builtinService(sb, 'counter', COUNTER);
  const main = join(s, 'log', 'main');
  const first = startSvscan(sb, sb.path('scan'));
  const pid = await upPid(s);
  await waitFor('lines logged', () => checkNumbers(logLines(main)).last >= 50_000, 30_000);
  process.kill(first.pid!, 'SIGKILL');
  await exitOf(first);
  const loggedBeforeKill = checkNumbers(logLines(main)).last;
  // Nobody reads now; S fills the pipe and blocks in write(2) instead of dying of SIGPIPE.
  await waitFor('S blocked on its full pipe', () => {
    const wchan = sh('cat', [`/proc/${pid}/wchan`]).stdout;
    return processState(pid) === 'S' && /pipe/.test(wchan) ? true : undefined;
  }, 10_000);
  expect(isAlive(pid)).toBe(true);
  expect(checkNumbers(logLines(main)).last).toBe(loggedBeforeKill);

  const second = startSvscan(sb, sb.path('scan'));
  await waitFor('S adopted', () => ext(s)?.adopted === true);
  expect(statusPid(s)).toBe(pid);
  await waitFor('logging again, past the kill', () => checkNumbers(logLines(main)).last > loggedBeforeKill + 50_000, 30_000);
  expect(second.records().filter((r) => r.service === 'counter' && (r.msg === 'started' || r.msg === 'restarted'))).toHaveLength(0);

  // Nothing duplicated or reordered; a gap only where the killed thread had a read in hand. That read
  // may have cut a line: its first bytes are in the file, the rest died with the thread, and the next
  // svscan's first bytes (the end of some later line) complete it into one line that is not the next
  // number (as test/svscan/log-pipe.test.ts allows). At most one such line, right at the gap.
  const lines = logLines(main);
  const cut = lines.findIndex((l, i) => i > 0 && Number(l) <= Number(lines[i - 1]));
  if (cut >= 0) lines.splice(cut, 1);
  const check = checkNumbers(lines);
  expect(check.notNumbers).toBe(0);
  for (const [after, next] of check.gaps) {
    expect(next).toBeGreaterThan(after);
    expect((next - after) * 6).toBeLessThanOrEqual(READ_BOUND); // 6 bytes a line at these numbers
  }
  expect(check.gaps.length).toBeLessThanOrEqual(1);
});

it('switching log/run -> built-in -> log/run while S writes: the pipe is held throughout, no line lost or doubled', async () => {
  const ticker = '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo $i; sleep 0.002; done\n';
  const s = sb.service('scan/ticker', ticker);
  const log = join(s, 'log');
  const runScript = `#!/bin/sh\nexec ${bin('relaxlogs')} --log-dir ./by-run\n`;
  sb.service('scan/ticker/log', runScript);
  const byRun = join(log, 'by-run');
  const byBuiltin = join(log, 'by-builtin');
  const scan = startSvscan(sb, sb.path('scan'));
  const pid = await upPid(s);
  const runLoggerPid = await upPid(log);
  expect(runLoggerPid).not.toBe(scan.pid);
  await waitFor('log/run logging', () => checkNumbers(logLines(byRun)).last > 200);

  writeFileSync(join(log, 'relaxlogs'), '--log-dir ./by-builtin\n');
  rmSync(join(log, 'run'));
  process.kill(scan.pid!, 'SIGHUP');
  await waitFor('the built-in logger took over', () => statusPid(log) === scan.pid && checkNumbers(logLines(byBuiltin)).count > 200, 20_000);
  expect(isAlive(runLoggerPid)).toBe(false);

  writeFileSync(join(log, 'run'), runScript);
  chmodSync(join(log, 'run'), 0o755);
  process.kill(scan.pid!, 'SIGHUP');
  const before = logLines(byRun).length;
  await waitFor('log/run logging again', () => statusPid(log) !== scan.pid && statusPid(log) !== 0 && logLines(byRun).length > before + 200, 20_000);
  expect(statusPid(s)).toBe(pid);
  expect(scan.has((r) => r.service === 'ticker/log' && /supervision ended/.test(r.msg))).toBe(false);

  // S stops; svscan stops: every logger finishes what is in the pipe.
  sh(bin('svc'), ['-d', s]);
  await waitFor('S down', () => statusPid(s) === 0);
  process.kill(scan.pid!, 'SIGTERM');
  await exitOf(scan);
  const run = logLines(byRun);
  const builtin = logLines(byBuiltin);
  const firstBuiltin = Number(builtin[0]);
  const lastBuiltin = Number(builtin.at(-1));
  // by-run holds 1..(firstBuiltin - 1) then (lastBuiltin + 1)..end; by-builtin the stretch between.
  const split = run.findIndex((l) => Number(l) >= firstBuiltin);
  expect(checkNumbers(run.slice(0, split)).gaps).toEqual([]);
  expect(checkNumbers(builtin, firstBuiltin).gaps).toEqual([]);
  expect(Number(run[split - 1])).toBe(firstBuiltin - 1);
  expect(Number(run[split])).toBe(lastBuiltin + 1);
  expect(checkNumbers(run.slice(split), lastBuiltin + 1).gaps).toEqual([]);
  expect(existsSync(join(byBuiltin, 'current'))).toBe(true);
});
