// Fault: svscan itself is stopped (SIGSTOP: a debugger, a frozen cgroup) or killed over and over. The
// services never depend on svscan being scheduled, and never run twice. The long variants (a 30 s
// stop, 20 kills in a row) are in bench/faults.bench.mjs; 100 kills of a logger under full-speed
// output are in test/svscan/log-pipe.test.ts.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, isAlive, Sandbox, sh, statusPid, waitFor } from '../helpers/sandbox.ts';
import { exitOf, readText, SLEEPER, startSvscan, upPid } from '../svscan/helpers.ts';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

/**
 * A run script that takes an exclusive lock for its whole life and records a line in `starts`; a
 * second ./run of the same service at the same time fails to take it and records DUPLICATE.
 */
const LOCKED_RUN = '#!/bin/sh\nexec 9>>run.lock\nif ! flock -n 9; then echo DUPLICATE >> starts; exit 1; fi\necho $$ >> starts\nexec sleep 100000\n';

describe('fault: svscan stopped or killed', () => {
  it('SIGSTOP for 3 s: services keep running, svc commands sent meanwhile are applied after SIGCONT', async () => {
    const scan = sb.path('scan');
    const a = sb.service('scan/a', SLEEPER);
    const b = sb.service('scan/b', SLEEPER);
    const svscan = startSvscan(sb, scan);
    const [pidA, pidB] = [await upPid(a), await upPid(b)];
    process.kill(svscan.pid!, 'SIGSTOP');
    try {
      // svc writes into the fifo's buffer and returns: nobody reads it while svscan is stopped.
      expect(sh(bin('svc'), ['-d', a]).code).toBe(0);
      expect(sh(bin('svc'), ['-t', b]).code).toBe(0);
      await new Promise((r) => setTimeout(r, 3000));
      expect(isAlive(pidA)).toBe(true);
      expect(isAlive(pidB)).toBe(true);
      expect(sh(bin('svok'), [a]).code).toBe(0);
    } finally {
      process.kill(svscan.pid!, 'SIGCONT');
    }
    await waitFor('a down', () => statusPid(a) === 0 && !isAlive(pidA));
    await waitFor('b restarted', () => { const p = statusPid(b); return p !== pidB && isAlive(p); });
    expect(isAlive(svscan.pid!)).toBe(true);
  });

  it('5 kill -9 of svscan in a row, each followed by a new svscan: never two ./run of one service at once', async () => {
    const scan = sb.path('scan');
    const dirs = ['a', 'b', 'c'].map((n) => sb.service(`scan/${n}`, LOCKED_RUN));
    for (let round = 0; round < 5; round++) {
      const svscan = startSvscan(sb, scan);
      for (const dir of dirs) await upPid(dir);
      // Killed at a different moment each round: at once, or after the services settled.
      if (round % 2 === 1) await new Promise((r) => setTimeout(r, 300));
      process.kill(svscan.pid!, 'SIGKILL');
      await exitOf(svscan);
    }
    const last = startSvscan(sb, scan);
    await waitFor('the last svscan adopted all', () => last.records().filter((r) => /adopted a running service/.test(r.msg)).length === dirs.length);
    for (const dir of dirs) {
      const starts = readText(join(dir, 'starts'));
      expect(starts).not.toContain('DUPLICATE');
      // Started once, adopted by every later svscan.
      expect(starts.trim().split('\n')).toHaveLength(1);
      expect(statusPid(dir)).toBe(Number(starts.trim()));
    }
    expect(readdirSync(scan)).toHaveLength(dirs.length);
  });
});
