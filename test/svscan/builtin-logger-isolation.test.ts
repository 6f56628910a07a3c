// A slow, full or hung disk under one service's built-in logger must not reach supervision: svscan's
// main thread keeps restarting services and answering svc/svstat while the logger thread waits, and
// the service that logs is slowed through its own pipe (memory stays bounded). Needs root (mount).
import { closeSync, constants, mkdirSync, openSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bin, isAlive, processState, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { exitOf, ext, newPid, sh, SLEEPER, startSvscan, upPid } from './helpers.ts';
import { builtinService, checkNumbers, logLines } from './builtin-logger-helpers.ts';

const IS_ROOT = process.getuid?.() === 0;
// ~1 MB: more than the 256 KiB disk, the logger's queue and the pipe hold together, so the writer blocks.
const LINES = 150_000;

let sb: Sandbox;
const mounts: string[] = [];
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => {
  // A lazy unmount detaches the file system even while svscan still has files open in it.
  for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
  sb.cleanup();
});

/** Supervision answers: `svc -t` of another service gives it a new pid within `ms`. */
async function restartsPromptly(dir: string, ms = 5000): Promise<void> {
  const old = statusPid(dir);
  expect(sh(bin('svc'), ['-t', dir]).code).toBe(0);
  await newPid(dir, old, ms);
}

const blockedOnPipe = (pid: number) => processState(pid) === 'S' && /pipe/.test(sh('cat', [`/proc/${pid}/wchan`]).stdout);

it.skipIf(!IS_ROOT)('a full disk: reading pauses (the service waits on its pipe), supervision goes on, and every line lands once there is room', async () => {
  const disk = sb.path('disk');
  mkdirSync(disk);
  expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk]).status).toBe(0);
  mounts.push(disk);
  const s = builtinService(sb, 'writer', `#!/bin/sh\nseq 1 ${LINES}\nexec sleep 100000\n`, `--log-dir ${disk}/main --retry-interval 200ms`);
  const other = sb.service('scan/other', SLEEPER);
  const log = join(s, 'log');
  const scan = startSvscan(sb, sb.path('scan'));
  const writer = await upPid(s);
  await upPid(other);
  await waitFor('back-pressure in status.json', () => ext(log)?.logger?.backpressure === true, 20_000);
  expect(ext(log)!.logger!.lastError).toMatch(/main/);
  // Logged before status.json changed; the line comes through svscan's stdout, read here a moment later.
  await waitFor('the write error in svscan\'s log', () => scan.has((r) => r.service === 'writer/log' && /unable to write/.test(r.msg)), 5_000);
  // The writer is held back by its pipe, not by svscan's memory: at most a read or two queued.
  // ./run is a shell waiting for seq, its child, which is the one writing.
  const seq = () => Number(readFileSync(`/proc/${writer}/task/${writer}/children`, 'utf8').trim().split(/\s+/)[0]);
  await waitFor('seq blocked on its pipe', () => blockedOnPipe(seq()), 10_000);
  expect(ext(log)!.logger!.queuedBytes).toBeLessThanOrEqual(2 * 64 * 1024);
  await restartsPromptly(other);
  expect(sh(bin('svstat'), [log]).stdout).toMatch(/: up \(pid \d+\)/);

  // Room again: every line, in order, once.
  expect(spawnSync('mount', ['-o', 'remount,size=8m', disk]).status).toBe(0);
  await waitFor('every line written', () => checkNumbers(logLines(join(disk, 'main'))).last === LINES, 20_000);
  const check = checkNumbers(logLines(join(disk, 'main')));
  expect(check.gaps).toEqual([]);
  expect(check.count).toBe(LINES);
  await waitFor('back-pressure over', () => ext(log)?.logger?.backpressure === false);
  expect(isAlive(writer)).toBe(true);
});

it('a hung disk (the log file is a fifo nobody reads, so open(2) blocks the logger thread): svc, svstat and restarts still answer, and svscan still stops', async () => {
  const s = builtinService(sb, 'hung', '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo $i; sleep 0.01; done\n', '--log-dir ./main --utc --rotation-time 1440 --pattern hung.%Y%m%d');
  const main = join(s, 'log', 'main');
  mkdirSync(main);
  // Today's file, made a fifo: the logger's first open of it never returns.
  const today = join(main, `hung.${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`);
  expect(spawnSync('mkfifo', [today]).status).toBe(0);
  const other = sb.service('scan/other', SLEEPER);
  const scan = startSvscan(sb, sb.path('scan'), ['--kill-timeout', '1']);
  await upPid(s);
  await upPid(other);
  const log = join(s, 'log');
  await waitFor('S/log up', () => statusPid(log) === scan.pid);
  // The thread is now blocked in open(2) on main/hung; supervision does not notice.
  for (let i = 0; i < 3; i++) await restartsPromptly(other);
  expect(sh(bin('svc'), ['-a', log]).code).toBe(0);
  expect(sh(bin('svok'), [log]).code).toBe(0);
  expect(sh(bin('svstat'), [other]).stdout).toMatch(/: up \(pid \d+\) \d+ seconds\n$/);
  // Stopping: the logger is given up on after the kill timeout, and svscan does not wait on the thread forever.
  process.kill(scan.pid!, 'SIGTERM');
  const { signal } = await exitOf(scan, 20_000);
  expect(signal).toBe('SIGKILL');
  // The exit can be seen before the last of svscan's output is read.
  await waitFor('the stuck logger in svscan\'s log', () => scan.has((r) => /logger thread is stuck/.test(r.msg)), 5_000);
  expect(statusPid(other)).toBe(0);
  // Let the blocked open(2) go (the kernel ended the thread with the process anyway).
  closeSync(openSync(today, constants.O_RDWR));
});
