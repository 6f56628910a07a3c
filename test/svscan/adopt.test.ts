// svscan killed with kill -9: services keep running in their own sessions; a new svscan adopts each
// one (same pid and start time), keeps svc/svstat working on it and supervises it once it exits.
import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bin, HAVE_DAEMONTOOLS, isAlive, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { readProcStat } from '../../src/supervise/proc-stat.ts';
import { ext, exitOf, newPid, readText, sh, startSvscan, upPid } from './helpers.ts';

const SERVICES = 20;
const WITH_LOG = 5;
const RECORDER = '#!/bin/sh\nfor s in HUP TERM; do trap "echo $s >> signals" $s; done\necho $$ > pid\nwhile :; do sleep 0.05; done\n';
const TICKER = '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo "tick $i"; sleep 0.02; done\n';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

it(`adopts ${SERVICES} services (${WITH_LOG} with loggers) after kill -9, starts no duplicate, and supervises them normally`, async () => {
  const dirs: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const dir = sb.service(`scan/s${i}`, i < WITH_LOG ? TICKER : i === WITH_LOG ? RECORDER : '#!/bin/sh\nexec sleep 100000\n');
    if (i < WITH_LOG) sb.service(`scan/s${i}/log`, '#!/bin/sh\nexec cat >> out\n');
    dirs.push(dir);
  }
  const logs = dirs.slice(0, WITH_LOG).map((d) => `${d}/log`);
  const all = [...dirs, ...logs];
  const first = startSvscan(sb, sb.path('scan'));
  const pids = new Map<string, number>();
  for (const d of all) pids.set(d, await upPid(d));
  await waitFor('recorder traps', () => existsSync(`${dirs[WITH_LOG]}/pid`));
  for (const l of logs) await waitFor(`${l} output`, () => readText(`${l}/out`).includes('tick 2\n'));

  process.kill(first.pid!, 'SIGKILL');
  await exitOf(first);
  // Every service and logger still runs, in its own session; supervise is gone.
  for (const d of all) expect(isAlive(pids.get(d)!)).toBe(true);
  expect(sh(bin('svok'), [dirs[0]!]).code).toBe(100);

  const second = startSvscan(sb, sb.path('scan'));
  await waitFor('every service adopted', () => all.every((d) => ext(d)?.adopted === true && sh(bin('svok'), [d]).code === 0), 30_000);
  for (const d of all) {
    const e = ext(d)!;
    expect(e.pid).toBe(pids.get(d));
    expect(e.pidStartTicks).toBe(readProcStat(e.pid)!.startTicks);
    expect(statusPid(d)).toBe(pids.get(d));
  }
  await waitFor('an adopted message per service', () => second.records().filter((r) => r.msg.startsWith('adopted')).length === all.length);
  expect(second.records().filter((r) => r.msg === 'started' || r.msg === 'restarted')).toHaveLength(0);
  // svstat (ours and daemontools') report them up, with their uptime kept.
  for (const tool of HAVE_DAEMONTOOLS ? [bin('svstat'), 'svstat'] : [bin('svstat')]) {
    expect(sh(tool, [dirs[7]!]).stdout).toMatch(new RegExp(`: up \\(pid ${pids.get(dirs[7]!)}\\) \\d+ seconds\\n$`));
  }

  // svc signals an adopted service.
  const recorder = dirs[WITH_LOG]!;
  sh(bin('svc'), ['-h', recorder]);
  await waitFor('HUP delivered to the adopted process', () => readText(`${recorder}/signals`).includes('HUP'));
  // An adopted service that dies is restarted as usual, with a new identity.
  const killed = dirs[8]!;
  sh(bin('svc'), ['-k', killed]);
  const fresh = await newPid(killed, pids.get(killed)!);
  // status.json is written right after status: wait for it too.
  await waitFor('status.json of the fresh start', () => ext(killed)?.pid === fresh);
  expect(ext(killed)).toMatchObject({ pid: fresh, adopted: false });
  expect(isAlive(pids.get(killed)!)).toBe(false);
  // svc -d on an adopted one: TERM, and it stays down.
  const downed = dirs[9]!;
  sh(bin('svc'), ['-d', downed]);
  await waitFor('adopted service down', () => statusPid(downed) === 0);
  expect(isAlive(pids.get(downed)!)).toBe(false);

  // The pipe survived: the adopted ticker still reaches its adopted logger, and a new logger too.
  const logDir = logs[0]!;
  const before = readText(`${logDir}/out`).length;
  await waitFor('more ticks through the adopted pair', () => readText(`${logDir}/out`).length > before + 20);
  sh(bin('svc'), ['-k', logDir]);
  const newLogger = await newPid(logDir, pids.get(logDir)!);
  const afterKill = readText(`${logDir}/out`).length;
  await waitFor('ticks through the new logger', () => readText(`${logDir}/out`).length > afterKill + 20);
  expect(isAlive(newLogger)).toBe(true);
  const ticks = readText(`${logDir}/out`).trim().split('\n').map((l) => Number(l.split(' ')[1]));
  // Never duplicated or reordered across the two svscans and the logger restart.
  for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBeGreaterThan(ticks[i - 1]!);

  // A pid recorded for a process that is gone is not adopted: the service is started afresh.
  process.kill(second.pid!, 'SIGKILL');
  await exitOf(second);
  const victim = dirs[10]!;
  const victimPid = pids.get(victim)!;
  process.kill(victimPid, 'SIGKILL');
  await waitFor('victim gone', () => !isAlive(victimPid));
  writeFileSync(`${victim}/marker`, '');
  const third = startSvscan(sb, sb.path('scan'), ['--kill-timeout', '1']); // the recorder ignores TERM
  const restarted = await newPid(victim, victimPid);
  await waitFor('status.json of the fresh start', () => ext(victim)?.pid === restarted);
  expect(ext(victim)).toMatchObject({ pid: restarted, adopted: false });
  await waitFor('third adopted the others', () => third.records().filter((r) => r.msg.startsWith('adopted')).length === all.length - 2);
  process.kill(third.pid!, 'SIGTERM');
  expect(await exitOf(third)).toEqual({ code: 0, signal: null });
  for (const d of all) expect(isAlive(pids.get(d)!)).toBe(false);
});
