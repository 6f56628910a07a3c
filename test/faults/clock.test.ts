// Fault: the wall clock jumps (an NTP step, an operator's `date -s`, a VM resumed) while svscan runs.
// Every delay must run on the monotonic clock, so a jump changes no delay and no decision; only what
// is displayed or stored (svstat's seconds, status.json's epoch ms) follows the wall clock, as in
// daemontools. The jumps are made with libfaketime (Debian package `faketime`): svscan reads its wall
// clock from a file the test rewrites, its monotonic clock stays real.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ext, Sandbox, statusPid, upPid, waitFor } from '../helpers/sandbox.ts';
import { SLEEPER, startSvscan } from '../svscan/helpers.ts';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const HAVE_FAKETIME = existsSync(LIBFAKETIME);

let sb: Sandbox;
let clockFile: string;
beforeEach(() => {
  sb = new Sandbox();
  clockFile = sb.path('clock-offset');
  setClockOffset(0);
});
afterEach(() => sb.cleanup());

/** The wall clock of processes started with fakeClockEnv() is off by this many seconds from now on. */
function setClockOffset(seconds: number): void {
  // Renamed into place: libfaketime rereads the file at every clock call and must never see it empty.
  writeFileSync(`${clockFile}.new`, `${seconds >= 0 ? '+' : ''}${seconds}\n`);
  renameSync(`${clockFile}.new`, clockFile);
}

function fakeClockEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: clockFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

describe.skipIf(!HAVE_FAKETIME)('fault: wall-clock jumps (libfaketime)', () => {
  it('a crash loop is still a crash loop while the clock leaps forward an hour every 100 ms (run times are monotonic)', async () => {
    const scan = sb.path('scan');
    mkdirSync(scan);
    // Each run lasts 300 ms, so at least two jumps fall inside it: on the wall clock it ran for hours.
    const dir = sb.service('scan/crasher', '#!/bin/sh\nsleep 0.3\nexit 1\n');
    writeFileSync(join(dir, 'backoff-threshold'), '1\n');
    writeFileSync(join(dir, 'backoff-base'), '4000\n');
    let offset = 0;
    const leap = setInterval(() => setClockOffset((offset += 3600)), 100);
    try {
      const svscan = startSvscan(sb, scan, ['--start-hold', '0.1'], { env: fakeClockEnv() });
      // Threshold 1: the second quick death in a row already waits. Without monotonic run times every
      // exit looks hours long, resets the count, and the service restarts at full pace for ever.
      await waitFor('a backoff in status.json', () => ext(dir)?.backoffUntil != null, 20_000);
      // svscan logs it as it writes status.json; the line reaches us through its stdout a moment later.
      await waitFor('the backoff in svscan\'s log', () => svscan.has((r) => /crash loop: next start in/.test(r.msg) && r.service === 'crasher'), 5_000);
    } finally {
      clearInterval(leap);
    }
  });

  it('a start that failed is retried a second later even though the clock stepped back a day meanwhile', async () => {
    const scan = sb.path('scan');
    mkdirSync(scan);
    const dir = sb.service('scan/blocked', SLEEPER);
    // supervise/ cannot be made: svscan reports the failure and retries.
    writeFileSync(join(dir, 'supervise'), 'a file where supervise/ should be\n');
    const svscan = startSvscan(sb, scan, ['--rescan-interval', '0.2'], { env: fakeClockEnv() });
    await waitFor('the failure reported', () => svscan.has((r) => r.service === 'blocked' && /retries/.test(r.msg)));
    setClockOffset(-86_400);
    await new Promise((r) => setTimeout(r, 300));
    rmSync(join(dir, 'supervise'));
    // A retry time kept on the wall clock would now lie a day ahead.
    const pid = await upPid(dir, 10_000);
    expect(pid).toBeGreaterThan(0);
  });

  it('a new service is found at once after the clock stepped back an hour (the rescan coalescing is monotonic)', async () => {
    const scan = sb.path('scan');
    mkdirSync(scan);
    const first = sb.service('scan/first', SLEEPER);
    // Only inotify can find the new service soon: the periodic rescan is an hour away.
    startSvscan(sb, scan, ['--rescan-interval', '3600'], { env: fakeClockEnv() });
    await upPid(first);
    setClockOffset(-3600);
    await new Promise((r) => setTimeout(r, 300));
    // Made beside the scan directory and moved in whole, as an operator should.
    const staged = sb.service('second', SLEEPER);
    const second = join(scan, 'second');
    renameSync(staged, second);
    const pid = await upPid(second, 10_000);
    sb.track(pid);
    expect(pid).toBeGreaterThan(0);
    expect(statusPid(first)).toBeGreaterThan(0);
  });
});
