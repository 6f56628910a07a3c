// What svscan needs from the supervise worker: stdio per start, status.json, adoption, stop().
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SuperviseWorker, type WorkerEvent } from '../../src/supervise/worker.ts';
import { readProcStat } from '../../src/supervise/proc-stat.ts';
import { writeExtendedStatus } from '../../src/protocol/extended-status.ts';
import { writeStatusFile, servicePaths } from '../../src/protocol/service-dir.ts';
import { fromMilliseconds } from '../../src/protocol/tai64n.ts';
import { bin, ext, isAlive, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';

const SLEEPER = '#!/bin/sh\nexec sleep 100000\n';
const openFds = () => readdirSync('/proc/self/fd').length;

describe('supervise worker, as svscan uses it', () => {
  let sb: Sandbox;
  const workers: SuperviseWorker[] = [];
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop({ killAfterMs: 100 });
    sb.cleanup();
  });

  it('takes stdio from a function at every start and closes what it returned', async () => {
    const dir = sb.service('s', '#!/bin/sh\necho "start $$"\nexit 1\n');
    const out = sb.path('out');
    let calls = 0;
    const before = openFds();
    const worker = await SuperviseWorker.start({
      dir, extendedStatus: true, startHoldMs: 50,
      stdio: () => {
        calls++;
        const fd = openSync(out, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
        return { stdio: ['ignore', fd, 'inherit'], close: [fd] };
      },
    });
    workers.push(worker);
    await waitFor('three starts', () => readFileSync(out, 'utf8').split('\n').length > 3 || undefined);
    expect(calls).toBeGreaterThanOrEqual(3);
    // Lock, control (read + write), ok: nothing per start stays open.
    expect(openFds() - before).toBeLessThanOrEqual(4);
    await waitFor('restarts and last exit in status.json', () => (ext(dir)?.restarts ?? 0) >= 2 && ext(dir)?.lastExit?.code === 1);
  });

  it('writes status.json on every change: pid, pgid, start ticks, since, restarts, last exit', async () => {
    const dir = sb.service('s', SLEEPER);
    const events: WorkerEvent[] = [];
    const worker = await SuperviseWorker.start({ dir, extendedStatus: true, onEvent: (e) => events.push(e) });
    workers.push(worker);
    const pid = statusPid(dir);
    const e = ext(dir)!;
    // Without notification-fd a service is ready as soon as it is up.
    expect(e).toMatchObject({ version: 1, pid, pgid: pid, restarts: 0, lastExit: null, adopted: false, readySince: e.since, backoffUntil: null, leftovers: 0, finishPid: 0 });
    expect(e.pidStartTicks).toBe(readProcStat(pid)!.startTicks);
    expect(Math.abs(e.since - Date.now())).toBeLessThan(5000);
    spawnSync(bin('svc'), ['-d', dir]);
    await waitFor('down', () => ext(dir)?.pid === 0);
    expect(ext(dir)).toMatchObject({ pid: 0, pgid: 0, pidStartTicks: null, lastExit: { code: null, signal: 'TERM' } });
    expect(events.find((ev) => ev.type === 'exit')).toMatchObject({ pid, signal: 'SIGTERM' });
  });

  it('adopts the recorded child when pid and start ticks match; not when they do not', async () => {
    const dir = sb.service('s', SLEEPER);
    mkdirSync(join(dir, 'supervise'), { mode: 0o700 });
    // A service a killed svscan left behind: its own session, not our child.
    const orphan = spawn('sh', ['-c', 'trap "echo HUP >> signals" HUP; echo $$ > pid; while :; do sleep 0.05; done'], { cwd: dir, detached: true, stdio: 'ignore' });
    orphan.unref();
    const pid = orphan.pid!;
    sb.track(pid);
    await waitFor('orphan ready', () => existsSync(join(dir, 'pid')));
    const ticks = readProcStat(pid)!.startTicks;
    const since = Date.now() - 60_000;
    const record = (startTicks: number) => {
      writeStatusFile(servicePaths(dir), { since: fromMilliseconds(since), pid, paused: false, want: 'up' });
      writeExtendedStatus(join(dir, 'supervise'), { version: 1, pid, pgid: pid, pidStartTicks: startTicks, since, readySince: null, restarts: 4, lastExit: null, backoffUntil: null, adopted: false, leftovers: 0 });
    };
    // Wrong start time: the pid was reused by someone else; it must not be adopted.
    record(ticks + 1);
    const wrong = await SuperviseWorker.start({ dir, extendedStatus: true, adopt: true });
    expect(wrong.isAdopted).toBe(false);
    expect(statusPid(dir)).not.toBe(pid);
    await wrong.stop({ killAfterMs: 100 });
    expect(isAlive(pid)).toBe(true);

    record(ticks);
    const events: WorkerEvent[] = [];
    const worker = await SuperviseWorker.start({ dir, extendedStatus: true, adopt: true, onEvent: (e) => events.push(e) });
    workers.push(worker);
    expect(worker.isAdopted).toBe(true);
    expect(events[0]).toEqual({ type: 'adopt', pid });
    expect(statusPid(dir)).toBe(pid);
    expect(ext(dir)).toMatchObject({ pid, pidStartTicks: ticks, adopted: true, since });
    expect(spawnSync(bin('svstat'), [dir], { encoding: 'utf8' }).stdout).toMatch(new RegExp(`up \\(pid ${pid}\\) (59|6\\d) seconds`));
    spawnSync(bin('svc'), ['-h', dir]);
    await waitFor('HUP delivered', () => existsSync(join(dir, 'signals')));
    // Its exit is seen by polling /proc, and it is then supervised normally: ./run starts.
    spawnSync(bin('svc'), ['-k', dir]);
    const next = await waitFor('a started ./run', () => { const p = statusPid(dir); return p && p !== pid ? p : undefined; });
    expect(isAlive(pid)).toBe(false);
    await waitFor('status.json of ./run', () => ext(dir)?.pid === next);
    expect(ext(dir)).toMatchObject({ adopted: false, lastExit: { code: null, signal: null } });
  });

  it('stop(): TERM and CONT to the group, KILL after the timeout, then releases the directory', async () => {
    const dir = sb.service('s', '#!/bin/sh\ntrap "" TERM\nsleep 100000 &\necho $! > child\nwhile :; do sleep 0.05; done\n');
    const worker = await SuperviseWorker.start({ dir, extendedStatus: true });
    const pid = statusPid(dir);
    await waitFor('grandchild', () => existsSync(join(dir, 'child')) && readFileSync(join(dir, 'child'), 'utf8').endsWith('\n'));
    const grandchild = Number(readFileSync(join(dir, 'child'), 'utf8'));
    const t0 = Date.now();
    await worker.stop({ killAfterMs: 500 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(isAlive(pid)).toBe(false);
    // The background sleep got TERM with its group (it does not ignore it).
    await waitFor('grandchild gone', () => !isAlive(grandchild));
    expect(worker.isFinished).toBe(true);
    expect(spawnSync(bin('svok'), [dir]).status).toBe(100);
    // The lock is free: flock(1) can take it.
    const fd = openSync(join(dir, 'supervise/lock'), 'r');
    expect(spawnSync('flock', ['-n', '-x', '3'], { stdio: ['ignore', 'ignore', 'ignore', fd] }).status).toBe(0);
    closeSync(fd);
    expect(ext(dir)).toMatchObject({ pid: 0, lastExit: { signal: 'KILL' } });
    writeFileSync(join(dir, 'down'), '');
  });
});
