// Security of adoption (doc/security.md): a status.json naming a process that is not the recorded
// ./run (init, a reused pid, an unrelated program with the right start ticks) is never adopted, so
// svc never makes root signal it; nor is any status.json found in a supervise/ others could write.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeExtendedStatus } from '../../src/protocol/extended-status.ts';
import { servicePaths, writeStatusFile } from '../../src/protocol/service-dir.ts';
import { fromMilliseconds } from '../../src/protocol/tai64n.ts';
import { readProcStat } from '../../src/supervise/proc-stat.ts';
import { ext, isAlive, Sandbox, sh, statusPid, upPid, waitFor } from '../helpers/sandbox.ts';
import { SLEEPER, startSvscan } from '../svscan/helpers.ts';

const IS_ROOT = process.geteuid?.() === 0;

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

/** What a killed svscan would have left in DIR/supervise/ for `pid`: up, wanted up, for a minute. */
function record(dir: string, pid: number, startTicks: number, superviseMode = 0o700): void {
  mkdirSync(join(dir, 'supervise'), { recursive: true });
  chmodSync(join(dir, 'supervise'), superviseMode);
  const since = Date.now() - 60_000;
  writeStatusFile(servicePaths(dir), { since: fromMilliseconds(since), pid, paused: false, want: 'up' });
  writeExtendedStatus(join(dir, 'supervise'), { version: 1, pid, pgid: pid, pidStartTicks: startTicks, since, readySince: null, restarts: 0, lastExit: null, backoffUntil: null, adopted: false, leftovers: 0 });
}

/**
 * A process that writes every signal it gets (HUP, TERM, CONT, ALRM, INT) to `log`; its pid once
 * ready. Not a session leader: the child of a detached shell, in that shell's own group and session,
 * so that even a wrongly sent kill(-pgrp) stays inside this test.
 */
async function victim(log: string, sessionLeader: boolean): Promise<number> {
  const traps = ['HUP', 'TERM', 'CONT', 'ALRM', 'INT'].map((s) => `trap 'echo ${s} >> ${log}' ${s};`).join(' ');
  const body = `${traps} : > ${log}; echo $$ > ${log}.pid; while :; do sleep 0.05; done`;
  const script = sessionLeader ? body : `sh -c "$1" & wait`;
  const child = spawn('sh', ['-c', script, 'sh', body], { cwd: sb.root, detached: true, stdio: 'ignore' });
  child.unref();
  sb.track(child.pid!);
  const pid = await waitFor(`${log} ready`, () => (existsSync(`${log}.pid`) && Number(readFileSync(`${log}.pid`, 'utf8'))) || undefined);
  sb.track(pid);
  return pid;
}

/**
 * svc -h, -a, -i, -d, then -u and -k: every signal an operator sends to the recorded service; returns
 * once svscan has acted on the last (a new ./run) and a trap would have run (its loop sleeps 50 ms).
 */
async function signalEverything(dir: string): Promise<void> {
  const before = await upPid(dir);
  for (const option of ['-h', '-a', '-i', '-d', '-u', '-k']) expect(sh('svc', [option, dir]).code).toBe(0);
  await waitFor(`${dir} restarted after svc -k`, () => { const p = statusPid(dir); return p !== 0 && p !== before ? p : undefined; });
  await new Promise((r) => setTimeout(r, 300));
}

describe.skipIf(!IS_ROOT)('adoption as root', () => {
  it('a status.json naming PID 1 with its true start ticks is not adopted: a fresh ./run starts', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', SLEEPER);
    record(dir, 1, readProcStat(1)!.startTicks);
    const svscan = startSvscan(sb, scan);
    const pid = await waitFor('a ./run of our own', () => { const p = statusPid(dir); return p !== 0 && p !== 1 ? p : undefined; });
    await waitFor('status.json of it', () => ext(dir)?.pid === pid);
    expect(ext(dir)).toMatchObject({ adopted: false });
    expect(svscan.output()).toContain(`not adopting pid 1 recorded in ${dir}/supervise/status.json: it is init or this supervisor`);
    // No svc here: were PID 1 adopted by a regression, a signal to it (or to group -1) would hit the host.
  });

  it('an unrelated process with the right start ticks but not leading its own session is not adopted, and no svc signal reaches it', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', SLEEPER);
    const log = sb.path('signals');
    const pid = await victim(log, false);
    record(dir, pid, readProcStat(pid)!.startTicks);
    const svscan = startSvscan(sb, scan);
    await waitFor('a ./run of our own', () => { const p = statusPid(dir); return p !== 0 && p !== pid ? p : undefined; });
    expect(svscan.output()).toContain(`not adopting pid ${pid} recorded in ${dir}/supervise/status.json: it does not lead its own session and process group, as ./run does`);
    await signalEverything(dir);
    expect(isAlive(pid)).toBe(true);
    expect(readFileSync(log, 'utf8')).toBe('');
  });

  it('a recorded pid now started at another time (pid reuse, a forged file) is not adopted and never signalled', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', SLEEPER);
    const log = sb.path('signals');
    const pid = await victim(log, true);
    record(dir, pid, readProcStat(pid)!.startTicks - 1);
    startSvscan(sb, scan);
    await waitFor('a ./run of our own', () => { const p = statusPid(dir); return p !== 0 && p !== pid ? p : undefined; });
    await signalEverything(dir);
    expect(isAlive(pid)).toBe(true);
    expect(readFileSync(log, 'utf8')).toBe('');
  });

  it('a perfect record (session leader, right ticks) is adopted from a 0700 supervise/, never from one others could write', async () => {
    const scan = sb.path('scan');
    const trusted = sb.service('scan/trusted', SLEEPER);
    const open = sb.service('scan/open', SLEEPER);
    const trustedPid = await victim(sb.path('trusted-signals'), true);
    const openPid = await victim(sb.path('open-signals'), true);
    record(trusted, trustedPid, readProcStat(trustedPid)!.startTicks);
    record(open, openPid, readProcStat(openPid)!.startTicks, 0o777);
    const svscan = startSvscan(sb, scan);
    await waitFor('the adoption', () => ext(trusted)?.adopted === true && ext(trusted)?.pid === trustedPid);
    await waitFor('a ./run of our own in open', () => { const p = statusPid(open); return p !== 0 && p !== openPid ? p : undefined; });
    expect(svscan.output()).toContain(`${open}/supervise was writable by others: its status.json is not trusted, no process is adopted from it`);
    expect(sh('svc', ['-h', trusted, open]).code).toBe(0);
    await waitFor('HUP to the adopted one', () => readFileSync(sb.path('trusted-signals'), 'utf8') === 'HUP\n');
    await signalEverything(open);
    expect(readFileSync(sb.path('open-signals'), 'utf8')).toBe('');
  });
});
