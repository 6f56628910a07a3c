// The built command as a service's log/run runs it: real processes, files, signals.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { tryFlockSync } from '../../src/protocol/flock.ts';
import { RELAXLOGS, readIfExists, tempDir, waitFor } from './helpers.ts';

interface Run {
  child: ChildProcess;
  stdout: () => Buffer;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let children: ChildProcess[] = [];
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups) c();
  children = [];
  cleanups = [];
});

function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function start(args: string[], opts: { env?: Record<string, string>; argv0?: string[]; stdio?: ('pipe' | 'ignore')[] } = {}): Run {
  const cmd = opts.argv0 ? opts.argv0[0]! : RELAXLOGS;
  const child = spawn(cmd, [...(opts.argv0?.slice(1) ?? []), ...args], {
    stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env },
  });
  children.push(child);
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => Buffer.concat(out), stderr: () => err, exited };
}

/** Runs to completion with `input` on stdin. */
async function feed(args: string[], input: Buffer | string, env?: Record<string, string>) {
  const r = start(args, env ? { env } : {});
  r.child.stdin!.end(input);
  const { code } = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

const current = (d: string) => path.join(d, 'current');
const logFiles = (d: string) => fs.readdirSync(d).filter((n) => n.startsWith('log.')).sort();

describe('relaxlogs', () => {
  it('copies binary bytes exactly and ends a last line without newline; exit 0 at EOF', async () => {
    const d = dir();
    const input = Buffer.concat([Buffer.from([0, 1, 2, 255, 13, 10]), Buffer.from('last line, no newline')]);
    const { code } = await feed(['--log-dir', d], input);
    expect(code).toBe(0);
    expect(fs.readFileSync(current(d)).equals(Buffer.concat([input, Buffer.from('\n')]))).toBe(true);
    expect(fs.readlinkSync(current(d))).toMatch(/^log\.\d{12}$/);
    expect(fs.statSync(fs.realpathSync(current(d))).mode & 0o777).toBe(0o644);
  });

  it('keeps 1 MiB+ lines whole with --long-lines keep, splits them by default', async () => {
    const d1 = dir();
    const big = `${'a'.repeat(1.5 * 1024 * 1024)}\nshort\n`;
    expect((await feed(['--log-dir', d1, '--long-lines', 'keep'], big)).code).toBe(0);
    expect(fs.readFileSync(current(d1), 'utf8')).toBe(big);
    const d2 = dir();
    expect((await feed(['--log-dir', d2, '--with-time'], big)).code).toBe(0);
    const lines = fs.readFileSync(current(d2), 'utf8').split('\n');
    expect(lines.map((l) => l.length - 29)).toEqual([1024 * 1024, 0.5 * 1024 * 1024, 5, -29]);
  });

  it('--with-time labels with the real offset of the zone', async () => {
    const d = dir();
    await feed(['--log-dir', d, '--with-time'], 'hello\n', { TZ: 'America/New_York' });
    expect(fs.readFileSync(current(d), 'utf8')).toMatch(/^\[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d -0[45]00\] hello\n$/);
    const u = dir();
    await feed(['--log-dir', u, '--utc', '--time-format', 'rfc3339-ms', '--pattern', 'app-%Y%m%d%H.log', '--link-name', 'now'], 'x\n');
    expect(fs.readlinkSync(path.join(u, 'now'))).toMatch(/^app-\d{10}\.log$/);
    expect(fs.readFileSync(path.join(u, 'now'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 x\n$/);
  });

  it('stdout pass-through when --log-dir is empty or "stdout"', async () => {
    expect((await feed([], 'a\nb')).stdout.toString()).toBe('a\nb\n');
    expect((await feed(['--log-dir', 'stdout'], 'c\n')).stdout.toString()).toBe('c\n');
    const d = dir();
    const teed = await feed(['--log-dir', d, '--tee', '--with-time'], 'd\n');
    expect(teed.stdout.toString()).toBe('d\n');
    expect(fs.readFileSync(current(d), 'utf8')).toMatch(/^\[.*\] d\n$/);
  });

  it('--flush-interval holds output briefly, then writes it all', async () => {
    const d = dir();
    const r = start(['--log-dir', d, '--flush-interval', '300ms']);
    r.child.stdin!.write('a\n');
    r.child.stdin!.write('b\n');
    await waitFor('flushed lines', () => readIfExists(current(d)) === 'a\nb\n');
    r.child.stdin!.end('c');
    expect((await r.exited).code).toBe(0);
    expect(fs.readFileSync(current(d), 'utf8')).toBe('a\nb\nc\n');
  });

  it('usage errors exit 100, --version exits 0', async () => {
    for (const args of [['--bogus'], ['--rotation-time', 'soon'], ['--pattern', 'log.%Y'], ['--timezone', 'Mars/Base'], ['extra']]) {
      const r = spawnSync(RELAXLOGS, args, { input: '' });
      expect(r.status, args.join(' ')).toBe(100);
    }
    const v = spawnSync(RELAXLOGS, ['-v']);
    expect(v.status).toBe(0);
    expect(v.stdout.toString()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unusable log directory exits 111 (and does not spin where mkdir says ENOENT, as in /proc)', () => {
    const file = path.join(dir(), 'a-file');
    fs.writeFileSync(file, '');
    for (const d of ['/proc/relaxlogs-test', file, path.join(file, 'sub')]) {
      const r = spawnSync(RELAXLOGS, ['--log-dir', d], { input: 'x\n', timeout: 30_000 });
      expect(r.status, d).toBe(111);
    }
  });

  it('a busy lock exits 111; a lock left by a dead logger does not matter', async () => {
    const d = dir();
    const fd = fs.openSync(path.join(d, 'lock'), 'a');
    expect(tryFlockSync(fd)).toBe(true);
    const busy = await feed(['--log-dir', d], 'x\n');
    expect(busy.code).toBe(111);
    expect(busy.stderr).toContain('lock busy');
    fs.closeSync(fd);
    expect((await feed(['--log-dir', d], 'y\n')).code).toBe(0);
    expect(fs.readFileSync(current(d), 'utf8')).toBe('y\n');
  });

  it('TERM in mid-line waits for the end of the line, then exits 0', async () => {
    const d = dir();
    const r = start(['--log-dir', d, '--last-line-timeout', '60s']);
    r.child.stdin!.write('complete\npart');
    await waitFor('partial line', () => readIfExists(current(d)) === 'complete\npart');
    r.child.kill('SIGTERM');
    r.child.stdin!.write('ial\n');
    expect((await r.exited).code).toBe(0);
    expect(fs.readFileSync(current(d), 'utf8')).toBe('complete\npartial\n');
  });

  it('TERM in mid-line with a silent writer ends the line after --last-line-timeout', async () => {
    const d = dir();
    const r = start(['--log-dir', d, '--last-line-timeout', '300ms']);
    r.child.stdin!.write('abc');
    await waitFor('partial line', () => readIfExists(current(d)) === 'abc');
    r.child.kill('SIGTERM');
    expect((await r.exited).code).toBe(0);
    expect(fs.readFileSync(current(d), 'utf8')).toBe('abc\n');
    r.child.stdin!.destroy();
  });

  it('HUP reopens: a deleted file, even a deleted directory, comes back', async () => {
    const d = path.join(dir(), 'logs');
    const r = start(['--log-dir', d]);
    r.child.stdin!.write('one\n');
    await waitFor('first line', () => readIfExists(current(d)) === 'one\n');
    fs.rmSync(d, { recursive: true });
    r.child.kill('SIGHUP');
    await waitFor('recreated file', () => fs.existsSync(current(d)));
    r.child.stdin!.end('two\n');
    expect((await r.exited).code).toBe(0);
    expect(fs.readFileSync(current(d), 'utf8')).toBe('two\n');
  });

  it('ALRM rotates now into a new generation', async () => {
    const d = dir();
    const r = start(['--log-dir', d]);
    r.child.stdin!.write('one\n');
    await waitFor('first line', () => readIfExists(current(d)) === 'one\n');
    const first = fs.readlinkSync(current(d));
    r.child.kill('SIGALRM');
    await waitFor('new generation', () => fs.readlinkSync(current(d)) === `${first}.1`);
    r.child.stdin!.end('two\n');
    expect((await r.exited).code).toBe(0);
    expect(fs.readFileSync(path.join(d, first), 'utf8')).toBe('one\n');
    expect(fs.readFileSync(path.join(d, `${first}.1`), 'utf8')).toBe('two\n');
  });

  it('purges its own expired files at start, never strangers or the active file', async () => {
    const d = dir();
    const old = Date.now() / 1000 - 3 * 86400;
    for (const n of ['log.202001010000', 'log.202001010100.3', 'log.gz-unrelated', 'log.txt']) {
      fs.writeFileSync(path.join(d, n), 'old\n');
      fs.utimesSync(path.join(d, n), old, old);
    }
    expect((await feed(['--log-dir', d, '--rotation-time', '1440', '--max-age', '44640m'], 'a\n')).code).toBe(0);
    expect(logFiles(d).length).toBe(5);
    expect((await feed(['--log-dir', d, '--rotation-time', '1440', '--max-age', '1d'], 'b\n')).code).toBe(0);
    expect(logFiles(d)).toEqual(['log.gz-unrelated', 'log.txt', fs.readlinkSync(current(d))].sort());
    expect(fs.readFileSync(current(d), 'utf8')).toBe('a\nb\n');
  });

  it('--ready-fd writes a newline when the logger is ready', async () => {
    const d = dir();
    const r = start(['--log-dir', d, '--ready-fd', '3'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const ready = await new Promise<string>((resolve) => r.child.stdio[3]!.on('data', (b: Buffer) => resolve(b.toString())));
    expect(ready).toBe('\n');
    r.child.stdin!.end();
    expect((await r.exited).code).toBe(0);
  });

  it('a write error (file size limit) pauses and retries without losing, duplicating or reordering', async () => {
    const probe = spawnSync('prlimit', ['--fsize=1000:unlimited', 'true']);
    if (probe.status !== 0) {
      console.warn('skipped: prlimit(1) cannot set a file-size limit here');
      return;
    }
    const d = dir();
    const r = start(['--log-dir', d, '--retry-interval', '100ms'], { argv0: ['prlimit', '--fsize=20000:unlimited', '--', RELAXLOGS] });
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join('');
    r.child.stdin!.write(lines.slice(0, 30000));
    await waitFor('the write error', () => r.stderr().includes('file too big'));
    r.child.stdin!.write(lines.slice(30000));
    expect(r.child.exitCode).toBeNull();
    expect(spawnSync('prlimit', ['--pid', String(r.child.pid), '--fsize=unlimited']).status).toBe(0);
    r.child.stdin!.end();
    expect((await r.exited).code).toBe(0);
    expect(fs.readFileSync(current(d), 'utf8')).toBe(lines);
  });

  it('disk full (a small tmpfs): pauses, retries, and writes every line once, in order', async () => {
    const mnt = dir();
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]).status !== 0) {
      console.warn('skipped: cannot mount a tmpfs here (needs root)');
      return;
    }
    cleanups.unshift(() => { spawnSync('umount', ['-l', mnt]); });
    const filler = path.join(mnt, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(200 * 1024));
    const d = path.join(mnt, 'log');
    const r = start(['--log-dir', d, '--retry-interval', '100ms']);
    const lines = Array.from({ length: 10_000 }, (_, i) => `disk line ${i}\n`).join('');
    r.child.stdin!.write(lines);
    await waitFor('the write error', () => r.stderr().includes('out of disk space'));
    expect(r.child.exitCode).toBeNull();
    fs.rmSync(filler);
    r.child.stdin!.end();
    expect((await r.exited).code).toBe(0);
    expect(fs.readFileSync(current(d), 'utf8')).toBe(lines);
  });

  it('--compress gzip compresses closed files (and what a killed run left), --processor runs on each', async () => {
    const d = dir();
    fs.writeFileSync(path.join(d, 'log.202001010000'), 'left by a crash\n');
    fs.writeFileSync(path.join(d, 'log.202001010000.gz.tmp'), 'half');
    const r = start(['--log-dir', d, '--compress', 'gzip', '--max-age', '0', '--processor', 'cat > "$RELAXLOGS_FILE.seen"']);
    r.child.stdin!.write('one\n');
    await waitFor('first line', () => readIfExists(current(d)) === 'one\n');
    const first = fs.readlinkSync(current(d));
    r.child.kill('SIGALRM');
    await waitFor('compressed file', () => fs.existsSync(path.join(d, `${first}.gz`)) && !fs.existsSync(path.join(d, first)));
    await waitFor('processor output', () => fs.existsSync(path.join(d, `${first}.gz.seen`)));
    await waitFor('recovered file', () => fs.existsSync(path.join(d, 'log.202001010000.gz')));
    r.child.stdin!.end('two\n');
    expect((await r.exited).code).toBe(0);
    expect(zlib.gunzipSync(fs.readFileSync(path.join(d, `${first}.gz`))).toString()).toBe('one\n');
    expect(zlib.gunzipSync(fs.readFileSync(path.join(d, `${first}.gz.seen`))).toString()).toBe('one\n');
    expect(zlib.gunzipSync(fs.readFileSync(path.join(d, 'log.202001010000.gz'))).toString()).toBe('left by a crash\n');
    expect(fs.existsSync(path.join(d, 'log.202001010000.gz.tmp'))).toBe(false);
    expect(fs.readFileSync(current(d), 'utf8')).toBe('two\n');
  });

  it('USR1 prints statistics on stderr; --rotation-count keeps N files', async () => {
    const d = dir();
    const r = start(['--log-dir', d, '--rotation-count', '2', '--max-age', '0']);
    for (let i = 0; i < 3; i++) {
      r.child.stdin!.write(`line ${i}\n`);
      await waitFor(`line ${i}`, () => readIfExists(current(d)) === `line ${i}\n`);
      r.child.kill('SIGALRM');
      await waitFor('rotation', () => !fs.existsSync(current(d)) || readIfExists(current(d)) === '');
    }
    r.child.kill('SIGUSR1');
    await waitFor('stats', () => r.stderr().includes('"bytesIn":21'));
    r.child.stdin!.end();
    expect((await r.exited).code).toBe(0);
    expect(logFiles(d).length).toBe(2);
  });

  it('reads a terminal too, and TERM still exits 0 (no read parked in the threadpool)', async () => {
    if (spawnSync('script', ['-qec', 'true', '/dev/null']).status !== 0) {
      console.warn('skipped: script(1) from util-linux is needed to give relaxlogs a terminal');
      return;
    }
    const d = dir();
    // script(1) runs the command through $SHELL -c; `exec` makes relaxlogs the process TERM reaches
    // whichever shell that is (dash forks for it otherwise, and TERM would kill the shell instead).
    const r = start(['-qfec', `exec ${RELAXLOGS} --log-dir ${d}`, '/dev/null'], { argv0: ['script'], env: { SHELL: '/bin/sh' } });
    r.child.stdin!.write('typed\n');
    await waitFor('the typed line', () => readIfExists(current(d)) === 'typed\n');
    const pid = descendants(r.child.pid!).find((p) => readIfExists(`/proc/${p}/cmdline`).includes('relaxlogs'));
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGTERM');
    await waitFor('relaxlogs gone', () => !fs.existsSync(`/proc/${pid}`) || readIfExists(`/proc/${pid}/stat`).split(' ')[2] === 'Z');
    r.child.stdin!.end();
    expect((await r.exited).code).toBe(0); // script -e passes relaxlogs' status on
  });
});

function descendants(pid: number): number[] {
  const kids = readIfExists(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}
