// Bad input never stops svscan nor blocks the other services: each problem is logged once, clearly,
// with the path and what to do, and svscan keeps going.
import { spawnSync } from 'node:child_process';
import { chmodSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bin, isAlive, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { ext, exitOf, sh, SLEEPER, startSvscan, upPid, type LogRecord } from './helpers.ts';

const ROOT = process.getuid?.() === 0;
/** As root, permissions do not apply: svscan then runs as nobody (util-linux setpriv). */
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

it('a missing run, odd names, a symlink loop, a plain file and a crash loop: each logged once, the others run', async () => {
  const scan = sb.path('scan');
  const steady = sb.service('scan/steady', SLEEPER);
  const spaced = sb.service('scan/with space', SLEEPER);
  const unicode = sb.service('scan/ünïcødé ☃', SLEEPER);
  const noRun = sb.path('scan/no-run');
  sb.service('scan/no-run', SLEEPER);
  spawnSync('rm', [`${noRun}/run`]);
  const crasher = sb.service('scan/crasher', '#!/bin/sh\necho "crashing" >&2\nexit 3\n');
  symlinkSync('loop', sb.path('scan/loop'));
  writeFileSync(sb.path('scan/README'), 'a plain file\n');
  const svscan = startSvscan(sb, scan);
  const steadyPid = await upPid(steady);
  const spacedPid = await upPid(spaced);
  const unicodePid = await upPid(unicode);
  expect(sh(bin('svstat'), [spaced, unicode]).stdout).toMatch(new RegExp(`^${spaced}: up \\(pid ${spacedPid}\\) \\d+ seconds\n${unicode}: up \\(pid ${unicodePid}\\) \\d+ seconds\n$`));
  await waitFor('the crash loop noticed', () => svscan.has((r) => r.service === 'crasher' && r.level === 40 && /exits within 1000 ms of every start/.test(r.msg)), 20_000);
  const byService = (name: string) => svscan.records().filter((r: LogRecord) => r.service === name && r.level >= 40);
  // Logged once each, although retried about once a second (missing run) or at every scan (loop).
  expect(byService('no-run')).toHaveLength(1);
  expect(byService('no-run')[0]!.msg).toBe(`unable to start ${noRun}/run: file does not exist: create an executable run script there; retried once a second`);
  expect(byService('loop')).toHaveLength(1);
  expect(byService('loop')[0]).toMatchObject({ code: 'ELOOP', path: sb.path('scan/loop') });
  expect(byService('loop')[0]!.msg).toMatch(/symbolic link loop/);
  expect(svscan.records().some((r) => r.service === 'README')).toBe(false);
  expect(ext(crasher)!.restarts).toBeGreaterThanOrEqual(3);
  expect(ext(crasher)!.lastExit).toMatchObject({ code: 3, signal: null });
  // The crash loop blocked nothing.
  expect(statusPid(steady)).toBe(steadyPid);
  // The missing run appears: started within the retry second.
  writeFileSync(`${noRun}/run`, SLEEPER);
  chmodSync(`${noRun}/run`, 0o755);
  await upPid(noRun, 5_000);
  process.kill(svscan.pid!, 'SIGTERM');
  expect(await exitOf(svscan)).toEqual({ code: 0, signal: null });
  for (const pid of [steadyPid, spacedPid, unicodePid]) expect(isAlive(pid)).toBe(false);
});

it('an unreadable service directory is reported with its path and retried; the others run', async () => {
  const scan = sb.path('scan');
  const ok = sb.service('scan/ok', SLEEPER);
  const locked = sb.service('scan/locked', SLEEPER);
  if (ROOT) {
    chmodSync(sb.root, 0o755);
    expect(spawnSync('chown', ['-R', '65534:65534', scan]).status).toBe(0);
  }
  chmodSync(locked, 0o000);
  const svscan = startSvscan(sb, scan, ['--rescan-interval', '0.5'], { command: ROOT ? AS_NOBODY : [] });
  await upPid(ok);
  await waitFor('the problem logged', () => svscan.has((r) => r.service === 'locked' && r.level >= 40), 10_000);
  const problem = svscan.records().filter((r) => r.service === 'locked' && r.level >= 40);
  expect(problem).toHaveLength(1);
  expect(problem[0]!.msg).toBe(`unable to stat ${locked}/down: access denied; svscan retries at every scan`);
  await new Promise((r) => setTimeout(r, 1500)); // several scans: still one message
  expect(svscan.records().filter((r) => r.service === 'locked' && r.level >= 40)).toHaveLength(1);
  chmodSync(locked, 0o755);
  await upPid(locked, 10_000);
  await waitFor('recovery logged', () => svscan.has((r) => r.service === 'locked' && r.msg === 'supervising again'));
});

it('1,000 services at once: all up, a new one still picked up at once, all stopped on TERM', async () => {
  const N = 1000;
  const dirs: string[] = [];
  for (let i = 0; i < N; i++) dirs.push(sb.service(`scan/svc-${String(i).padStart(4, '0')}`, SLEEPER));
  const t0 = Date.now();
  const svscan = startSvscan(sb, sb.path('scan'), ['--kill-timeout', '5']);
  await waitFor(`${N} services up`, () => dirs.every((d) => statusPid(d) > 0), 90_000, 200);
  const allUp = Date.now() - t0;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(spawnSync('cat', [`/proc/${svscan.pid}/status`], { encoding: 'utf8' }).stdout)?.[1]);
  // A service added now is not queued behind anything.
  const staged = sb.service('staging/late', SLEEPER);
  const t1 = Date.now();
  renameSync(staged, sb.path('scan/late'));
  await upPid(sb.path('scan/late'), 5_000);
  console.log(`${N} services: all up ${allUp} ms after svscan started; svscan RSS ${(rss / 1024).toFixed(1)} MB; one more picked up in ${Date.now() - t1} ms`);
  const pids = dirs.map(statusPid);
  const t2 = Date.now();
  process.kill(svscan.pid!, 'SIGTERM');
  expect(await exitOf(svscan, 60_000)).toEqual({ code: 0, signal: null });
  console.log(`${N} services stopped in ${Date.now() - t2} ms`);
  expect(pids.filter(isAlive)).toEqual([]);
  sb.track(statusPid(sb.path('scan/late')));
}, 180_000);
