// Taking over from a running daemontools without restarting anything (doc/migrate-from-daemontools.md):
// daemontools' svscan and every supervise are killed, their ./run processes (and a multilog) keep
// running, and svtools' svscan adopts each one from the status daemontools wrote (no status.json).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readProcStat } from '../../src/supervise/proc-stat.ts';
import { decodeStatus, encodeStatus } from '../../src/protocol/status.ts';
import { fromMilliseconds, toMilliseconds } from '../../src/protocol/tai64n.ts';
import { bin, ext, HAVE_DAEMONTOOLS, isAlive, Sandbox, sh, statusPid, waitFor } from '../helpers/sandbox.ts';

const SLEEPER = '#!/bin/sh\nexec sleep 100000\n';
/** A run that leaves its service directory: its identity rests on its start time alone. */
const ROOTED = '#!/bin/sh\ncd /\nexec sleep 100000\n';
const TICKER = '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done\n';
const MULTILOG = '#!/bin/sh\nexec multilog ./main\n';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

interface Record { msg: string; service?: string; pid?: number }

function records(child: ReturnType<Sandbox['spawn']>): Record[] {
  return child.output().split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
    try { return [JSON.parse(l) as Record]; } catch { return []; }
  });
}

function readText(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** Live children of `ppid` named `comm`. */
function childrenNamed(ppid: number, comm: string): number[] {
  return readdirSync('/proc').map(Number).filter((pid) => {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      return readProcStat(pid)?.ppid === ppid && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  });
}

/** daemontools' svscan over `scan` with every service in `dirs` up; its pid and its supervises' pids. */
async function daemontools(scan: string, dirs: string[]) {
  const svscan = sb.spawn('/usr/bin/svscan', [scan]);
  await waitFor('daemontools to start every service', () => dirs.every((d) => statusPid(d) > 0 && sh('/usr/bin/svok', [d]).code === 0), 30_000);
  const supervises = await waitFor(`${dirs.length} supervise processes`, () => {
    const found = childrenNamed(svscan.pid!, 'supervise');
    return found.length === dirs.length ? found : undefined;
  });
  return { svscan, supervises };
}

/** daemontools' way to let go: svscan first (else it starts a new supervise), then each supervise, by pid. */
async function letGo(svscanPid: number, supervises: number[], dirs: string[]): Promise<number> {
  process.kill(svscanPid, 'SIGTERM');
  await waitFor('daemontools svscan gone', () => !isAlive(svscanPid));
  const at = Date.now();
  for (const pid of supervises) process.kill(pid, 'SIGTERM');
  await waitFor('every supervise gone', () => dirs.every((d) => sh('/usr/bin/svok', [d]).code !== 0));
  return at;
}

describe.skipIf(!HAVE_DAEMONTOOLS)('taking over from daemontools', () => {
  it('adopts every ./run and multilog daemontools left running: no restart, same pids, both tool sets work after', async () => {
    const scan = sb.path('scan');
    const plain = sb.service('scan/plain', SLEEPER);
    const rooted = sb.service('scan/rooted', ROOTED);
    const logged = sb.service('scan/logged', TICKER);
    const logger = sb.service('scan/logged/log', MULTILOG);
    const dirs = [plain, rooted, logged, logger];
    const { svscan: old, supervises } = await daemontools(scan, dirs);
    const pids = dirs.map((d) => statusPid(d));
    // daemontools' children share svscan's process group (none leads its own).
    for (const pid of pids) expect(readProcStat(pid)!.pgrp).toBe(old.pid);
    await waitFor('multilog to write ticks', () => readText(`${logger}/main/current`).includes('tick 3\n'));

    const letGoAt = await letGo(old.pid!, supervises, dirs);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);

    const first = sb.spawn(bin('svscan'), [scan, '--log-format', 'json']);
    await waitFor('every service adopted', () => dirs.every((d) => ext(d)?.adopted === true && sh(bin('svok'), [d]).code === 0), 30_000);
    const gapMs = Date.now() - letGoAt;
    dirs.forEach((d, i) => {
      expect(ext(d)!.pid).toBe(pids[i]);
      expect(statusPid(d)).toBe(pids[i]);
      expect(isAlive(pids[i]!)).toBe(true);
    });
    await waitFor('an adopted message per directory', () => records(first).filter((r) => r.msg.startsWith('adopted')).length === dirs.length);
    const restarts = records(first).filter((r) => r.msg === 'started' || r.msg === 'restarted').length;
    expect(restarts).toBe(0);
    console.info(`takeover: ${restarts} restarts; ${gapMs} ms from the first supervise's kill until every service was adopted (svok on all four)`);

    // An upgrade of svtools before any of them restarted: the next svscan adopts them again, from the
    // status.json the first one wrote, though they lead no process group of their own.
    process.kill(first.pid!, 'SIGQUIT');
    await waitFor('svscan to quit', () => first.exitCode !== null);
    const svscan = sb.spawn(bin('svscan'), [scan, '--log-format', 'json']);
    await waitFor('every service adopted again', () => records(svscan).filter((r) => r.msg.startsWith('adopted')).length === dirs.length);
    // The adoption is logged before status.json is rewritten.
    await waitFor('status.json of every adopted service', () => dirs.every((d, i) => ext(d)?.pid === pids[i]));
    expect(records(svscan).filter((r) => r.msg === 'started' || r.msg === 'restarted')).toHaveLength(0);

    // The old multilog still reads the anonymous pipe daemontools made: ticks keep coming.
    const linesThen = readText(`${logger}/main/current`).split('\n').length;
    await waitFor('more ticks through the old pipe', () => readText(`${logger}/main/current`).split('\n').length > linesThen + 3);

    // Both tool sets read and drive the adopted services.
    expect(sh('/usr/bin/svstat', [plain]).stdout).toMatch(new RegExp(`: up \\(pid ${pids[0]}\\) \\d+ seconds\\n$`));
    expect(sh(bin('svstat'), [plain]).stdout).toMatch(new RegExp(`: up \\(pid ${pids[0]}\\) \\d+ seconds\\n$`));
    expect(sh('/usr/bin/svc', ['-t', plain]).code).toBe(0);
    const restarted = await waitFor('plain restarted by svtools', () => { const p = statusPid(plain); return p && p !== pids[0] ? p : undefined; });
    // Restarted by svtools: in its own session and group. The TERM went to the old pid only: the
    // group daemontools' children share was not signalled, so the others still run.
    expect(readProcStat(restarted)!.pgrp).toBe(restarted);
    expect(isAlive(pids[1]!) && isAlive(pids[2]!) && isAlive(pids[3]!)).toBe(true);
    // svtools' svc -+ (to the group) reaches the adopted ./run alone, never the group it shares.
    expect(sh(bin('svc'), ['-+t', rooted]).code).toBe(0);
    await waitFor('rooted restarted', () => { const p = statusPid(rooted); return p && p !== pids[1] ? p : undefined; });
    expect(isAlive(pids[2]!) && isAlive(pids[3]!)).toBe(true);

    // The logged service's next start writes into svtools' pipe; the old multilog gets end of input
    // (no writer left on daemontools' pipe), exits, and svtools starts log/run on its own pipe.
    const before = readText(`${logger}/main/current`);
    expect(sh(bin('svc'), ['-t', logged]).code).toBe(0);
    await waitFor('a new multilog', () => { const p = statusPid(logger); return p && p !== pids[3] ? p : undefined; });
    await waitFor('the new start\'s ticks in the log', () => {
      const after = readText(`${logger}/main/current`);
      return after.length > before.length && after.slice(before.length).includes('tick 1\n');
    });

    process.kill(svscan.pid!, 'SIGTERM');
    await waitFor('svscan to stop', () => svscan.exitCode !== null, 30_000);
    expect(svscan.exitCode).toBe(0);
    for (const d of dirs) expect(isAlive(ext(d)?.pid ?? 0)).toBe(false);
    expect(isAlive(pids[2]!)).toBe(false);
  });

  it('adopts a ./run working in its service directory though the clock was stepped since daemontools wrote its status', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', SLEEPER);
    const { svscan: old, supervises } = await daemontools(scan, [dir]);
    const pid = statusPid(dir);
    await letGo(old.pid!, supervises, [dir]);
    // As if the wall clock had been stepped an hour forward after the start (NTP at boot): the
    // status time no longer matches the start time read now, the working directory still does.
    const status = decodeStatus(readFileSync(join(dir, 'supervise/status')))!;
    writeFileSync(join(dir, 'supervise/status'), encodeStatus({ ...status, since: fromMilliseconds(toMilliseconds(status.since) - 3_600_000) }));

    const svscan = sb.spawn(bin('svscan'), [scan, '--log-format', 'json']);
    await waitFor('adopted', () => ext(dir)?.adopted === true);
    expect(ext(dir)!.pid).toBe(pid);
    expect(records(svscan).filter((r) => r.msg === 'started')).toHaveLength(0);
    process.kill(svscan.pid!, 'SIGTERM');
    await waitFor('svscan to stop', () => svscan.exitCode !== null, 30_000);
    expect(isAlive(pid)).toBe(false);
  });

  it('does not adopt a process that reuses the pid of a stale daemontools status', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', SLEEPER);
    const { svscan: old, supervises } = await daemontools(scan, [dir]);
    const original = statusPid(dir);
    await letGo(old.pid!, supervises, [dir]);
    process.kill(original, 'SIGKILL');
    await waitFor('the original ./run gone', () => !isAlive(original));
    // Another process now has the pid the status names (as after a reboot): elsewhere, started later.
    const stranger = sb.spawn('sleep', ['100000']);
    writeFileSync(join(dir, 'supervise/status'), encodeStatus({ since: fromMilliseconds(Date.now() - 3_600_000), pid: stranger.pid!, paused: false, want: 'up' }));

    const svscan = sb.spawn(bin('svscan'), [scan, '--log-format', 'json']);
    const started = await waitFor('./run started', () => { const p = statusPid(dir); return p && p !== stranger.pid ? p : undefined; });
    // status.json follows status: wait for the one naming the new ./run.
    expect((await waitFor('status.json of the new ./run', () => { const e = ext(dir); return e?.pid === started ? e : undefined; })).adopted).toBe(false);
    expect(records(svscan).some((r) => r.msg.includes(`pid ${stranger.pid}`) && r.msg.includes('not adopted'))).toBe(true);
    process.kill(svscan.pid!, 'SIGTERM');
    await waitFor('svscan to stop', () => svscan.exitCode !== null, 30_000);
    expect(isAlive(started)).toBe(false);
    expect(isAlive(stranger.pid!)).toBe(true);
  });
});
