// Several processes sharing one limit through a work dir, among themselves and with Go sabo peers
// (imitated by flock(1) holding a lock file named as Go sabo names its own: Go sabo itself cannot
// be built here).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  achievedRate, bytesBetween, cleanup, feed, lockFiles, maxWindow, publishedLocks, sha256Of, startSabo, tempDir, track, waitFor,
} from './helpers.ts';

afterEach(cleanup);

const pattern = randomBytes(1 << 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Go-sabo-like peer: a `sabo_<bw>_<pid>_<id>.lock` file flock-ed by a live process. */
function foreignPeer(dir: string, name: string) {
  const path = join(dir, name);
  writeFileSync(path, '');
  const child = spawn('flock', ['--exclusive', '--no-fork', path, 'sleep', '60'], { stdio: 'ignore' });
  track(child);
  return child;
}

describe('sabo sharing a work dir', () => {
  it('two processes split the limit, a joiner causes no overshoot, and the survivor speeds up', async () => {
    const dir = tempDir();
    // A small burst, so that what is measured is the join, not a catch-up after this process stalls.
    const args = ['--max-bandwidth', '1M', '--work-dir', dir, '--burst', '50ms'];
    const a = startSabo(args);
    void feed(a.child.stdin!, pattern, 3_000_000);
    await waitFor('first bytes of A', () => a.bytes() > 0);
    await sleep(800);
    const b = startSabo(args);
    void feed(b.child.stdin!, pattern, 1_000_000);
    expect(await b.done).toBe(0);
    expect(await a.done).toBe(0);
    expect(a.sha256()).toBe(sha256Of(pattern, 3_000_000));
    expect(b.sha256()).toBe(sha256Of(pattern, 1_000_000));
    // B got about half while both ran: 1 MB at 500 kB/s.
    const bRate = achievedRate(b.chunks);
    expect(bRate).toBeGreaterThan(400_000);
    expect(bRate).toBeLessThan(600_000);
    // After B ended, A went back to the whole 1 MB/s.
    const bEnd = b.chunks[b.chunks.length - 1]![0];
    const aAfter = a.chunks.filter(([t]) => t > bEnd + 300);
    if (aAfter.length > 20) expect(achievedRate(aAfter)).toBeGreaterThan(850_000);
    // Together never much above 1 MB/s in any second, B's arrival included (Go sabo: up to 2x).
    const all = [...a.chunks, ...b.chunks];
    expect(maxWindow(all, 1000, a.chunks[0]![0] + 1000)).toBeLessThan(1_150_000);
    expect(lockFiles(dir)).toEqual([]);
  });

  it('four processes below 32 KiB/s each (Go sabo truncates) all finish intact; one ends early', async () => {
    const dir = tempDir();
    const sizes = [25_000, 75_000, 75_000, 75_000];
    const runs = sizes.map(() => startSabo(['--max-bandwidth', '100K', '--work-dir', dir]));
    await waitFor('four lock files', () => publishedLocks(dir).length === 4);
    const t0 = performance.now();
    runs.forEach((r, i) => void feed(r.child.stdin!, pattern, sizes[i]!));
    expect(await Promise.all(runs.map((r) => r.done))).toEqual([0, 0, 0, 0]);
    runs.forEach((r, i) => expect(r.sha256()).toBe(sha256Of(pattern, sizes[i]!)));
    // 25 kB each for about 1 s, then 33 kB/s each for the rest: about 2.5 s for 250 kB.
    const elapsed = Math.max(...runs.map((r) => r.chunks[r.chunks.length - 1]![0])) - t0;
    expect(elapsed).toBeGreaterThan(2000);
    expect(elapsed).toBeLessThan(4500);
    const first = runs[0]!;
    expect(first.chunks[first.chunks.length - 1]![0] - t0).toBeLessThan(1800);
    expect(lockFiles(dir)).toEqual([]);
  });

  it('counts a Go sabo peer, ignores other rates, and removes a dead peer after kill -9', async () => {
    const dir = tempDir();
    foreignPeer(dir, 'sabo_1000000_4242_goid.lock'); // same rate: shares
    foreignPeer(dir, 'sabo_2000000_4243_goid.lock'); // another rate: does not
    writeFileSync(join(dir, 'sabo_1000000_99999.lock'), ''); // pre-0.1.0 name, owner long dead
    await waitFor('foreign locks', () => publishedLocks(dir).length === 3);
    await sleep(100); // let flock(1) take its locks
    const victim = startSabo(['--max-bandwidth', '1M', '--work-dir', dir]);
    void feed(victim.child.stdin!, pattern, 50_000_000);
    const run = startSabo(['--max-bandwidth', '1M', '--work-dir', dir]);
    void feed(run.child.stdin!, pattern, 50_000_000);
    await waitFor('the dead file removed', () => !existsSync(join(dir, 'sabo_1000000_99999.lock')));
    await waitFor('two sabo lock files', () => publishedLocks(dir).length === 4);
    await sleep(1500);
    // Three live holders of `sabo_1000000_`: a third each.
    const t = performance.now();
    const third = bytesBetween(run.chunks, t - 1000, t);
    expect(third).toBeGreaterThan(250_000);
    expect(third).toBeLessThan(420_000);
    const victimFile = lockFiles(dir).find((f) => f.includes(`_${victim.child.pid}_`))!;
    victim.child.kill('SIGKILL');
    await waitFor('the killed peer\'s file removed', () => !existsSync(join(dir, victimFile)), 4000);
    await sleep(1200);
    const t2 = performance.now();
    const half = bytesBetween(run.chunks, t2 - 1000, t2);
    expect(half).toBeGreaterThan(420_000);
    expect(half).toBeLessThan(580_000);
    run.child.kill('SIGTERM');
    expect(await run.done).toBe(143);
    expect(lockFiles(dir)).toEqual(['sabo_1000000_4242_goid.lock', 'sabo_2000000_4243_goid.lock']);
  });

  it('removes an old unlocked `_sabo_` file left by a peer killed between create and rename', async () => {
    const dir = tempDir();
    const orphan = join(dir, '_sabo_1000000_77777_x.lock');
    closeSync(openSync(orphan, 'w'));
    utimesSync(orphan, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const run = startSabo(['--max-bandwidth', '1M', '--work-dir', dir]);
    void feed(run.child.stdin!, pattern, 100_000);
    await waitFor('orphan removed', () => !existsSync(orphan));
    expect(await run.done).toBe(0);
  });

  it('weights split the limit in proportion', async () => {
    const dir = tempDir();
    const heavy = startSabo(['--max-bandwidth', '1M', '--work-dir', dir, '--weight', '3', '--burst', '50ms']);
    const light = startSabo(['--max-bandwidth', '1M', '--work-dir', dir, '--burst', '50ms']);
    await waitFor('two lock files', () => publishedLocks(dir).length === 2);
    expect(publishedLocks(dir).some((f) => f.endsWith('-w3.lock'))).toBe(true);
    void feed(heavy.child.stdin!, pattern, 1_500_000);
    void feed(light.child.stdin!, pattern, 500_000);
    expect(await Promise.all([heavy.done, light.done])).toEqual([0, 0]);
    expect(achievedRate(heavy.chunks)).toBeGreaterThan(650_000);
    expect(achievedRate(heavy.chunks)).toBeLessThan(800_000);
    expect(achievedRate(light.chunks)).toBeGreaterThan(200_000);
    expect(achievedRate(light.chunks)).toBeLessThan(290_000);
  });

  it('--min-bandwidth keeps a floor under each share', async () => {
    const dir = tempDir();
    // A small burst: tokens earned while the test waits for both lock files would blur the rates.
    const args = ['--max-bandwidth', '100K', '--work-dir', dir, '--min-bandwidth', '80K', '--burst', '50ms'];
    const runs = [startSabo(args), startSabo(args)];
    await waitFor('two lock files', () => publishedLocks(dir).length === 2);
    runs.forEach((r) => void feed(r.child.stdin!, pattern, 120_000));
    expect(await Promise.all(runs.map((r) => r.done))).toEqual([0, 0]);
    for (const r of runs) {
      expect(achievedRate(r.chunks)).toBeGreaterThan(80_000 * 0.85);
      expect(achievedRate(r.chunks)).toBeLessThan(80_000 * 1.05);
    }
  });

  it('--share-key groups processes by name instead of rate', async () => {
    const dir = tempDir();
    const runs = [startSabo(['--max-bandwidth', '1M', '--work-dir', dir, '--share-key', 'nightly', '--burst', '50ms']),
      startSabo(['--max-bandwidth', '1M', '--work-dir', dir, '--share-key', 'nightly', '--burst', '50ms'])];
    await waitFor('two lock files', () => publishedLocks(dir).length === 2);
    expect(publishedLocks(dir).every((f) => f.startsWith('sabo_nightly_'))).toBe(true);
    runs.forEach((r) => void feed(r.child.stdin!, pattern, 1_000_000));
    expect(await Promise.all(runs.map((r) => r.done))).toEqual([0, 0]);
    for (const r of runs) {
      expect(achievedRate(r.chunks)).toBeGreaterThan(500_000 * 0.85);
      expect(achievedRate(r.chunks)).toBeLessThan(500_000 * 1.05);
    }
  });
});
