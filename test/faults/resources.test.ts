// Fault: a resource runs out. No space left on the file system of the service directories (a small
// tmpfs filled up; root only), and too few file descriptors for svscan (prlimit --nofile).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, isAlive, Sandbox, sh, statusPid, waitFor } from '../helpers/sandbox.ts';
import { readText, SLEEPER, startSvscan, upPid } from '../svscan/helpers.ts';

const ROOT = process.getuid?.() === 0;

let sb: Sandbox;
let mounted: string | undefined;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => {
  // cleanup() kills, then removes the tree, which fails at the mount point: unmount, remove again.
  try { sb.cleanup(); } catch { /* EBUSY at the mount point */ }
  if (mounted) spawnSync('umount', ['-l', mounted]);
  mounted = undefined;
  rmSync(sb.root, { recursive: true, force: true });
});

/** A tmpfs of `size` at DIR (inside the sandbox), unmounted after the test. */
function smallFileSystem(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const r = sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (r.code !== 0) throw new Error(`mount -t tmpfs on ${dir} failed: ${r.stderr}`);
  mounted = dir;
}

/** Fills the file system holding `dir` with `dir`/filler. */
function fill(dir: string): void {
  spawnSync('sh', ['-c', 'cat /dev/zero > filler 2>/dev/null'], { cwd: dir });
}

describe.skipIf(!ROOT)('fault: no space left on device', () => {
  it('status writes fail with a clear message, supervision goes on, and the status is written once space is back', async () => {
    const fs = sb.path('small');
    smallFileSystem(fs, '1m');
    const scan = join(fs, 'scan');
    mkdirSync(scan);
    // The run script records its pid outside the full file system.
    const pids = sb.path('pids');
    const dir = sb.service('small/scan/s', `#!/bin/sh\necho $$ >> ${pids}\nexec sleep 100000\n`);
    const svscan = startSvscan(sb, scan);
    const first = await upPid(dir);
    fill(fs);
    expect(sh(bin('svc'), ['-h', dir]).code).toBe(0);
    await waitFor('the failed write reported', () => svscan.has((r) => r.level >= 40 && r.msg === `unable to write ${dir}/supervise/status.new: out of disk space; retried every second`));
    const second = await waitFor('a restart despite the full disk', () => {
      const last = Number(readText(pids).trim().split('\n').pop());
      return last !== first && isAlive(last) && last;
    });
    expect(isAlive(svscan.pid!)).toBe(true);
    rmSync(join(fs, 'filler'));
    // Nothing else happens to the service: the status is rewritten by itself.
    await waitFor('the status current again', () => statusPid(dir) === second, 10_000);
    expect(sh(bin('svstat'), [dir]).stdout).toMatch(new RegExp(`^${dir}: up \\(pid ${second}\\) \\d+ seconds\\n$`));
  });
});

describe('fault: too many open files', () => {
  it('svscan under prlimit --nofile=256 with 300 services: no crash, those beyond the limit reported and retried, the others controllable', async () => {
    const scan = sb.path('scan');
    const dirs = Array.from({ length: 300 }, (_, i) => sb.service(`scan/s${String(i).padStart(3, '0')}`, SLEEPER));
    const svscan = startSvscan(sb, scan, ['--rescan-interval', '1'], { command: ['prlimit', '--nofile=256', '--'] });
    await waitFor('the limit reported', () => svscan.has((r) => r.level >= 40 && /too many open files|EMFILE/i.test(r.msg)), 30_000);
    const up = () => dirs.filter((d) => statusPid(d) > 0).length;
    const reached = await waitFor('some services up', () => up() > 0 && up(), 60_000);
    expect(reached).toBeLessThan(300);
    expect(isAlive(svscan.pid!)).toBe(true);
    // svc and svstat still work on a supervised one.
    const supervised = dirs.find((d) => statusPid(d) > 0)!;
    const svcD = sh(bin('svc'), ['-d', supervised]);
    expect(svcD.code, svcD.stderr).toBe(0);
    await waitFor('down', () => statusPid(supervised) === 0);
    // Still alive a few scans later, still refusing the rest (at the limit it may not even list the
    // scan directory: that too is reported, and retried).
    await new Promise((r) => setTimeout(r, 3000));
    expect(isAlive(svscan.pid!)).toBe(true);
    expect(svscan.has((r) => r.level >= 50 && !/unable to read/.test(r.msg))).toBe(false);
  });
});
