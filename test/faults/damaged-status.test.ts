// Fault: supervise/status or supervise/status.json damaged or replaced by something hostile (a full
// disk's truncation, a stray editor, an attacker's symlink). Readers (svstat, svstat --json, svwait,
// svcheck) answer at once with a clear message and never crash nor hang; svscan taking charge of the
// directory rewrites the files and never crashes. (Forged contents, modes and status.new symlinks are
// test/faults/security*.test.ts.)
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStatusBytes } from '../../src/protocol/service-dir.ts';
import { decodeStatus } from '../../src/protocol/status.ts';
import { bin, isAlive, Sandbox, sh, waitFor } from '../helpers/sandbox.ts';
import { exitOf, SLEEPER, startSvscan } from '../svscan/helpers.ts';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => {
  // The sandbox reads each status to find what to kill: nothing hostile may be left for it.
  for (const name of readdirSync(sb.path('scan'))) {
    for (const file of ['status', 'status.json']) {
      const path = sb.path('scan', name, 'supervise', file);
      if (existsSync(path) && !isRegularFile(path)) rmSync(path, { recursive: true, force: true });
    }
  }
  sb.cleanup();
});

/** Pid in DIR/supervise/status, read as the readers do (18 bytes, non-blocking): 0 when none. */
function safeStatusPid(dir: string): number {
  const bytes = readStatusBytes(join(dir, 'supervise/status'));
  return typeof bytes === 'string' ? 0 : decodeStatus(bytes)?.pid ?? 0;
}

const OUTSIDE_TEXT = 'a file outside the service directory\n';

/** Each damage, applied to the file at `path` (which exists). */
const DAMAGES: Record<string, (path: string, outside: string) => void> = {
  truncated: (path) => writeFileSync(path, readFileSync(path).subarray(0, 5)),
  garbage: (path) => writeFileSync(path, 'this is not a status file at all, just text\n'),
  huge: (path) => writeFileSync(path, Buffer.alloc(20 * 1024 * 1024, 0x41)),
  directory: (path) => { rmSync(path); mkdirSync(path); },
  'symlink to /dev/zero': (path) => { rmSync(path); symlinkSync('/dev/zero', path); },
  'symlink to a file outside': (path, outside) => { rmSync(path); symlinkSync(outside, path); },
  fifo: (path) => { rmSync(path); spawnSync('mkfifo', [path]); },
};

const READERS: Array<[string, (dir: string) => string[]]> = [
  ['svstat', (dir) => [dir]],
  ['svstat', (dir) => ['--json', dir]],
  ['svwait', (dir) => ['-u', '-t', '1000', dir]],
  ['svcheck', (dir) => [dir]],
];

const safeUpPid = (dir: string) => waitFor(`${dir} up`, () => safeStatusPid(dir) || undefined);

function isRegularFile(path: string): boolean {
  try { return lstatSync(path).isFile(); } catch { return false; }
}

/** Runs a reader with a deadline: its exit code and output. */
function read(command: string, args: string[]) {
  const r = spawnSync(bin(command), args, { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, signal: r.signal, output: `${r.stdout}${r.stderr}` };
}

describe('fault: damaged or hostile supervise/status and status.json', () => {
  for (const file of ['status', 'status.json']) {
    it(`${file}: every reader answers at once, clearly, with no crash; supervise rewrites it and never writes through a symlink`, async () => {
      const dir = sb.service('scan/s', SLEEPER);
      const outside = sb.path('outside');
      writeFileSync(outside, OUTSIDE_TEXT);
      const svscan = startSvscan(sb, sb.path('scan'));
      let pid = await safeUpPid(dir);
      const path = join(dir, 'supervise', file);
      // status.json is renamed into place just after status: a damage needs the file there.
      await waitFor(`${file} written`, () => isRegularFile(path));
      for (const [damage, apply] of Object.entries(DAMAGES)) {
        apply(path, outside);
        for (const [command, args] of READERS) {
          const r = read(command, args(dir));
          const what = `${command} ${args(dir).join(' ')} with ${file} ${damage}: ${r.output}`;
          expect(r.signal, what).toBeNull(); // no hang (killed at the deadline)
          expect(r.output, what).not.toMatch(/\n\s+at |Error:/); // no stack trace
          if (command === 'svstat' && args(dir)[0] === '--json') expect(() => JSON.parse(r.output), what).not.toThrow();
          if (command === 'svstat') expect(r.code, what).toBe(0);
          if (command === 'svwait') expect([0, 99, 111], what).toContain(r.code);
          if (command === 'svwait' && r.code === 111) expect(r.output, what).toContain(`${dir}/supervise/status`);
          if (command === 'svcheck') expect(r.output, what).toMatch(/^SV (OK|WARNING|CRITICAL|UNKNOWN) - /);
          // A status that cannot be read is said so, with the file's name.
          if (file === 'status' && /unable/.test(r.output)) expect(r.output, what).toMatch(/unable to (open|read) .*supervise\/status: /);
        }
        // The next state change rewrites the file (a directory in the way: reported, rewritten once it is gone).
        if (damage === 'directory') rmSync(path, { recursive: true });
        expect(sh(bin('svc'), ['-h', dir]).code).toBe(0);
        const old = pid;
        // A garbage status decodes to some pid: wait for a live one, the restart's.
        pid = await waitFor(`${file} rewritten after ${damage}`, () => {
          const now = safeStatusPid(dir);
          return isRegularFile(path) && now !== old && isAlive(now) && now;
        });
        expect(readFileSync(outside, 'utf8')).toBe(OUTSIDE_TEXT);
        expect(sh(bin('svstat'), [dir]).stdout).toMatch(new RegExp(`^${dir}: up \\(pid ${pid}\\) \\d+ seconds\\n$`));
      }
      expect(isAlive(svscan.pid!)).toBe(true);
    });
  }

  it('after a kill -9 of svscan, status replaced by a fifo or a symlink to /dev/zero: the next svscan never blocks nor reads for ever', async () => {
    const scan = sb.path('scan');
    const fifo = sb.service('scan/fifo', SLEEPER);
    const zero = sb.service('scan/zero', SLEEPER);
    const first = startSvscan(sb, scan);
    const [fifoPid, zeroPid] = [await safeUpPid(fifo), await safeUpPid(zero)];
    sb.track(zeroPid);
    process.kill(first.pid!, 'SIGKILL');
    await exitOf(first);
    DAMAGES.fifo!(join(fifo, 'supervise/status'), '');
    DAMAGES['symlink to /dev/zero']!(join(zero, 'supervise/status'), '');
    const second = startSvscan(sb, scan);
    // The fifo: status.json is intact and names the running child, which is adopted.
    await waitFor('the child adopted', () => second.has((r) => r.service === 'fifo' && r.pid === fifoPid && /adopted a running service/.test(r.msg)), 20_000);
    // The symlink makes supervise/ untrusted (doc/security.md): nothing adopted, ./run started anew.
    await waitFor('zero supervised again', () => { const p = safeStatusPid(zero); return p !== 0 && p !== zeroPid && isAlive(p); });
    // svscan still answers: a restart asked now happens.
    expect(sh(bin('svc'), ['-h', fifo]).code).toBe(0);
    await waitFor('fifo restarted', () => { const p = safeStatusPid(fifo); return p !== 0 && p !== fifoPid && isAlive(p); });
    expect(isAlive(second.pid!)).toBe(true);
  });

  it('svscan taking charge of directories whose status files are damaged rewrites them and supervises every service', async () => {
    const scan = sb.path('scan');
    const outside = sb.path('outside');
    writeFileSync(outside, OUTSIDE_TEXT);
    const names = Object.keys(DAMAGES).map((d) => d.replace(/[^a-z]+/g, '-'));
    const dirs = names.map((name) => sb.service(`scan/${name}`, SLEEPER));
    const first = startSvscan(sb, scan);
    for (const dir of dirs) await safeUpPid(dir);
    process.kill(first.pid!, 'SIGTERM');
    expect(await exitOf(first)).toEqual({ code: 0, signal: null });
    Object.values(DAMAGES).forEach((apply, i) => {
      for (const file of ['status', 'status.json']) apply(join(dirs[i]!, 'supervise', file), outside);
    });
    const second = startSvscan(sb, scan);
    const directoryCase = dirs[Object.keys(DAMAGES).indexOf('directory')]!;
    for (const dir of dirs) {
      if (dir === directoryCase) continue;
      await safeUpPid(dir);
      expect(lstatSync(join(dir, 'supervise/status')).isFile()).toBe(true);
      expect(lstatSync(join(dir, 'supervise/status.json')).isFile()).toBe(true);
    }
    // A directory where status goes: the failed write is reported with its path; the service runs anyway.
    await waitFor('the failed status write reported', () => second.has((r) => r.level >= 40 && r.msg.includes(`${directoryCase}/supervise/status`)));
    rmSync(join(directoryCase, 'supervise/status'), { recursive: true });
    rmSync(join(directoryCase, 'supervise/status.json'), { recursive: true });
    expect(sh(bin('svc'), ['-h', directoryCase]).code).toBe(0);
    await safeUpPid(directoryCase);
    expect(readFileSync(outside, 'utf8')).toBe(OUTSIDE_TEXT);
    expect(isAlive(second.pid!)).toBe(true);
    expect(sh(bin('svstat'), dirs).stdout.split('\n').filter((l) => / up \(pid \d+\)/.test(l))).toHaveLength(dirs.length);
  });
});
