// multilog as a long-running process: locks against daemontools' multilog, recovery after kill -9,
// TERM in the middle of a line, ALRM, and a full disk (a 1 MiB tmpfs).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, waitFor } from '../helpers/sandbox.ts';
import { DAEMONTOOLS_MULTILOG, HAVE_MULTILOG, OURS, snapshot } from './helpers.ts';

let box: Sandbox;
let mounts: string[] = [];
beforeEach(() => { box = new Sandbox(); mounts = []; });
afterEach(() => {
  // The loggers first (the removal that follows fails on a mount point), then the mounts, then the files.
  try { box.cleanup(); } catch { /* the mount point: removed below */ }
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  box.cleanup();
});

/** A logger reading a fifo we hold open for writing (a pipe whose writer stays, like svscan's). */
function startOn(program: string, script: string[], cwd: string): { child: ChildProcess & { output: () => string }; feed: (s: string) => void; fifo: string; writer: number } {
  fs.mkdirSync(cwd, { recursive: true });
  const fifo = path.join(cwd, '..', `${path.basename(cwd)}.fifo`);
  spawnSync('mkfifo', [fifo]);
  const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writer = fs.openSync(fifo, fs.constants.O_WRONLY);
  const child = spawn(program, script, { cwd, detached: true, stdio: [reader, 'pipe', 'pipe'] });
  fs.closeSync(reader);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { output += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { output += d; });
  box.track(child.pid!);
  return { child: Object.assign(child, { output: () => output }), feed: (s) => fs.writeSync(writer, s), fifo, writer };
}

const exited = (c: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
  if (c.exitCode !== null || c.signalCode !== null) resolve({ code: c.exitCode, signal: c.signalCode });
  else c.on('exit', (code, signal) => resolve({ code, signal }));
});

const read = (f: string) => { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } };
const mode = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);

describe.skipIf(!HAVE_MULTILOG)('multilog processes', () => {
  it('a second logger on a locked directory refuses, ours and daemontools\' alike, with the same words', async () => {
    for (const [holder, second] of [[OURS, DAEMONTOOLS_MULTILOG], [DAEMONTOOLS_MULTILOG, OURS]] as const) {
      const cwd = box.path(path.basename(holder) + (holder === OURS ? '-ours' : '-theirs'));
      const first = startOn(holder, ['./main'], cwd);
      first.feed('hello\n');
      await waitFor('first line logged', () => read(path.join(cwd, 'main', 'current')) === 'hello\n');
      const r = spawnSync(second, ['./main'], { cwd, input: 'x\n', encoding: 'utf8' });
      expect(r.status).toBe(111);
      expect(r.stderr).toBe('multilog: fatal: unable to lock directory ./main: temporary failure\n');
      first.child.kill('SIGTERM');
      expect(await exited(first.child)).toEqual({ code: 0, signal: null });
    }
  });

  it('kill -9 mid-write: current stays 644; the next start (ours or daemontools\') makes it @….u, as it was', async () => {
    const snaps: string[][] = [];
    for (const [side, program] of [['ours', OURS], ['theirs', DAEMONTOOLS_MULTILOG]] as const) {
      const cwd = box.path(side);
      const first = startOn(OURS, ['t', './main'], cwd);
      first.feed('one\ntwo\nthree without end');
      await waitFor('two lines', () => read(path.join(cwd, 'main', 'current')).split('\n').length === 3);
      expect(mode(path.join(cwd, 'main', 'current'))).toBe('644');
      process.kill(first.child.pid!, 'SIGKILL');
      await exited(first.child);
      const second = spawnSync(program, ['t', './main'], { cwd, input: 'four\n', encoding: 'utf8' });
      expect(second.status).toBe(0);
      snaps.push(snapshot(path.join(cwd, 'main')));
    }
    expect(snaps[0]).toEqual(snaps[1]);
    expect(snaps[0]!.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['@T.u 644', 'current 744', 'lock 600', 'state 644']);
    expect(snaps[0]![0]).toMatch(/ @T one\n@T two\n$/);
  });

  it('daemontools\' leftovers of a crash during a processor run are recovered the same way', () => {
    const snaps: string[][] = [];
    for (const [side, program] of [['ours', OURS], ['theirs', DAEMONTOOLS_MULTILOG]] as const) {
      const dir = box.path(side, 'main');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'previous'), 'old\n', { mode: 0o744 });
      fs.writeFileSync(path.join(dir, 'processed'), 'OLD\n', { mode: 0o744 });
      fs.writeFileSync(path.join(dir, 'newstate'), 'half');
      fs.writeFileSync(path.join(dir, 'current'), 'cur\n', { mode: 0o644 });
      expect(spawnSync(program, ['!cat', './main'], { cwd: box.path(side), input: 'new\n' }).status).toBe(0);
      snaps.push(snapshot(dir));
    }
    expect(snaps[0]).toEqual(snaps[1]);
    expect(snaps[0]!.filter((l) => l.startsWith('@')).map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual(['@T.s 744 4 OLD\n', '@T.u 644 4 cur\n']);
  });

  it('TERM mid-line waits for the end of the line and leaves what follows in the pipe', async () => {
    const cwd = box.path('term');
    const logger = startOn(OURS, ['./main'], cwd);
    logger.feed('first\nsecond ha');
    await waitFor('first line', () => read(path.join(cwd, 'main', 'current')) === 'first\n');
    logger.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(logger.child.exitCode).toBe(null);
    logger.feed('lf\nnext logger\n');
    expect(await exited(logger.child)).toEqual({ code: 0, signal: null });
    expect(read(path.join(cwd, 'main', 'current'))).toBe('first\nsecond half\n');
    expect(mode(path.join(cwd, 'main', 'current'))).toBe('744');
    const rest = Buffer.alloc(100);
    const reader = fs.openSync(logger.fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const n = fs.readSync(reader, rest);
    fs.closeSync(reader);
    expect(rest.subarray(0, n).toString()).toBe('next logger\n');
  });

  it('ALRM makes a non-empty current an old file at once', async () => {
    const cwd = box.path('alrm');
    const logger = startOn(OURS, ['t', './main'], cwd);
    logger.feed('a\n');
    await waitFor('line', () => read(path.join(cwd, 'main', 'current')).endsWith(' a\n'));
    logger.child.kill('SIGALRM');
    const dir = path.join(cwd, 'main');
    const old = await waitFor('rotation', () => fs.readdirSync(dir).find((f) => /^@[0-9a-f]{24}\.s$/.test(f)));
    expect(read(path.join(dir, old))).toMatch(/^@[0-9a-f]{24} a\n$/);
    expect(mode(path.join(dir, old))).toBe('744');
    expect(read(path.join(dir, 'current'))).toBe('');
    logger.child.kill('SIGALRM'); // an empty current is left alone
    await new Promise((r) => setTimeout(r, 500));
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('@'))).toHaveLength(1);
    logger.feed('b\n');
    await waitFor('b', () => read(path.join(dir, 'current')).endsWith(' b\n'));
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('@'))).toHaveLength(1);
    logger.child.kill('SIGTERM');
    expect((await exited(logger.child)).code).toBe(0);
  });

  it('a full disk: daemontools\' warning, a pause, the producer held back, and every line once space is back', async () => {
    const mnt = box.path('small');
    fs.mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) return; // not root or no mount(8): nothing to test here
    mounts.push(mnt);
    fs.writeFileSync(path.join(mnt, 'ballast'), Buffer.alloc(1024 * 1024 - 64 * 1024));
    const logger = startOn(OURS, ['s16777215', './main'], mnt);
    const line = `${'x'.repeat(99)}\n`;
    const TOTAL = 5000; // 500 KB: more than the 64 KiB left, less than the whole 1 MiB
    let fed = 0;
    // Non-blocking writes: a full pipe (the logger pausing) must not hang the test.
    const writer = fs.openSync(logger.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    const pump = (): boolean => {
      try { fs.writeSync(writer, line); fed++; return true; } catch { return false; }
    };
    await waitFor('the warning', () => {
      while (fed < TOTAL && pump());
      return logger.child.output().includes('multilog: warning: unable to write to ./main/current, pausing: out of disk space\n');
    });
    // Held back: the pipe fills up instead of lines being dropped.
    await waitFor('pipe full', () => { while (fed < TOTAL && pump()); return fed < TOTAL; });
    fs.rmSync(path.join(mnt, 'ballast'));
    while (fed < TOTAL) { if (!pump()) await new Promise((r) => setTimeout(r, 20)); }
    fs.closeSync(writer);
    fs.closeSync(logger.writer);
    expect(await exited(logger.child)).toEqual({ code: 0, signal: null });
    const current = read(path.join(mnt, 'main', 'current'));
    expect(current.length).toBe(TOTAL * line.length);
    expect(current).toBe(line.repeat(TOTAL));
  });
});
