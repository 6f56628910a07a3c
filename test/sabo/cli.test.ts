// Signals, EPIPE, error exits, both program names and their flag forms, and live rate changes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { achievedRate, bytesBetween, cleanup, feed, lockFiles, SABO, startSabo, tempDir, THROTTLE, track, waitFor } from './helpers.ts';

afterEach(cleanup);

const pattern = randomBytes(1 << 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runSync(program: string, args: string[], input = '') {
  return spawnSync(program, args, { input, encoding: 'utf8', timeout: 20_000 });
}

describe('signals and broken pipes', () => {
  it('TERM interrupts a read from an idle upstream at once, removes the lock file, exits 143', async () => {
    const dir = tempDir();
    const run = startSabo(['--max-bandwidth', '1M', '--work-dir', dir]);
    run.child.stdin!.write('some');
    await waitFor('output', () => run.bytes() === 4);
    const t = performance.now();
    run.child.kill('SIGTERM');
    expect(await run.done).toBe(143);
    expect(performance.now() - t).toBeLessThan(1500);
    expect(lockFiles(dir)).toEqual([]);
  });

  it('INT during a wait for tokens writes out what was read, removes the lock, exits 130', async () => {
    const dir = tempDir();
    const run = startSabo(['--max-bandwidth', '20K', '--work-dir', dir]);
    void feed(run.child.stdin!, pattern, 10_000_000, false);
    await waitFor('output', () => run.bytes() > 10_000);
    const t = performance.now();
    run.child.kill('SIGINT');
    expect(await run.done).toBe(130);
    expect(performance.now() - t).toBeLessThan(1500);
    expect(lockFiles(dir)).toEqual([]);
  });

  it('EPIPE downstream removes the lock file and exits 141 (Go sabo leaves its lock behind)', async () => {
    const dir = tempDir();
    const run = startSabo(['--max-bandwidth', '10M', '--work-dir', dir]);
    void feed(run.child.stdin!, pattern, 100_000_000, false);
    await waitFor('output', () => run.bytes() > 0);
    run.child.stdout!.destroy();
    expect(await run.done).toBe(141);
    expect(lockFiles(dir)).toEqual([]);
  });

  it('exits 3 on a read error and 4 on a write error, never 0', async () => {
    const dir = tempDir();
    const dirFd = openSync(dir, 'r');
    const r = spawnSync(SABO, ['--max-bandwidth', '1M'], { stdio: [dirFd, 'pipe', 'pipe'], encoding: 'utf8' });
    closeSync(dirFd);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/read error/);
    const full = openSync('/dev/full', 'w');
    const w = spawnSync(SABO, ['--max-bandwidth', '100M'], { input: 'x'.repeat(1000), stdio: ['pipe', full, 'pipe'], encoding: 'utf8' });
    closeSync(full);
    expect(w.status).toBe(4);
    expect(w.stderr).toMatch(/write error/);
  });
});

describe('descriptors left non-blocking by an earlier Node process (doc/design.md, Fifos)', () => {
  it('copies every byte when stdin and stdout are O_NONBLOCK (EAGAIN on both sides)', () => {
    const dir = tempDir();
    const input = join(dir, 'in');
    writeFileSync(input, pattern.subarray(0, 3_000_000));
    // The first node sets O_NONBLOCK on the pipes' shared descriptions and exits before any data
    // arrives; the reader is slow, so sabo's writes meet a full non-blocking pipe too.
    const script = `(sleep 0.5; cat '${input}') | (node -e 'process.stdin; process.stdout; process.exit()'; '${SABO}' --max-bandwidth 100M) | (sleep 1; sha256sum); echo "\${PIPESTATUS[@]}"`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 20_000 });
    const [sum, statuses] = r.stdout.trim().split('\n');
    expect(statuses).toBe('0 0 0');
    expect(sum!.split(' ')[0]).toBe(createHash('sha256').update(pattern.subarray(0, 3_000_000)).digest('hex'));
  });
});

describe('command line', () => {
  it('rejects bad usage with 1 and a work dir it cannot create with 2', () => {
    expect(runSync(SABO, ['--max-bandwidth', 'abc']).status).toBe(1);
    expect(runSync(SABO, []).status).toBe(1);
    expect(runSync(SABO, ['--max-bandwidth', '1M', '2M']).status).toBe(1);
    expect(runSync(SABO, ['--max-bandwidth', '1M', '--bogus']).status).toBe(1);
    // mkdir(2) says ENOENT in /proc even to root, where a missing work dir elsewhere would be created.
    const missing = runSync(SABO, ['--max-bandwidth', '1M', '--work-dir', '/proc/nonexistent/dir']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nonexistent/);
  });

  it('a work dir with no room for its lock file (a full tmpfs) exits 2 naming the dir and the cause', () => {
    // Root ignores permissions, but not a file system out of inodes.
    const dir = tempDir();
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,nr_inodes=1', 'tmpfs', dir]).status).toBe(0);
    try {
      const full = runSync(SABO, ['--max-bandwidth', '1M', '--work-dir', dir], 'data');
      expect(full.status).toBe(2);
      expect(full.stderr).toBe(`sabo: fatal: unable to take part in work dir ${dir}: out of disk space; free it or give another --work-dir\n`);
    } finally {
      spawnSync('umount', [dir]);
    }
  });

  it('creates a missing --work-dir and its parents (mode 0755, as mkdir -p) and shares through it', async () => {
    const dir = join(tempDir(), 'not', 'yet');
    const run = startSabo(['--max-bandwidth', '1M', '--work-dir', dir]);
    await waitFor('the lock file in the new work dir', () => existsSync(dir) && lockFiles(dir).length === 1);
    expect(statSync(dir).mode & 0o7777).toBe(0o755 & ~process.umask());
    run.child.stdin!.end('data');
    expect(await run.done).toBe(0);
    expect(run.bytes()).toBe(4);
    expect(lockFiles(dir)).toEqual([]);
  });

  it('-v is the version as sabo and verbose as throttle; -V is the version under both names', () => {
    expect(runSync(SABO, ['-v']).stdout).toMatch(/^sabo \(svtools\) \d/);
    expect(runSync(THROTTLE, ['-V']).stdout).toMatch(/^throttle \(svtools\) \d/);
    const v = runSync(THROTTLE, ['-v', '100k'], 'hello');
    expect(v.status).toBe(0);
    expect(v.stdout).toBe('hello');
    expect(v.stderr).toMatch(/^throttle: 5 B in/m);
  });

  it('takes throttle\'s LIMIT with unit flags, grouped flags, -s512, and pv\'s -L', async () => {
    // -K 50 = 51,200 B/s; 100 kB take about 2 s.
    const t = startSabo(['-qK', '-s512', '50'], THROTTLE);
    void feed(t.child.stdin!, pattern, 100_000);
    expect(await t.done).toBe(0);
    expect(t.bytes()).toBe(100_000);
    const rate = achievedRate(t.chunks);
    expect(rate).toBeGreaterThan(51_200 * 0.85);
    expect(rate).toBeLessThan(51_200 * 1.05);
    // pv: -L 100k --units iec is 102,400 B/s; 200 kB in about 2 s.
    const p = startSabo(['-L', '100k', '--units', 'iec']);
    void feed(p.child.stdin!, pattern, 200_000);
    expect(await p.done).toBe(0);
    expect(achievedRate(p.chunks)).toBeLessThan(102_400 * 1.05);
    expect(achievedRate(p.chunks)).toBeGreaterThan(102_400 * 0.85);
  });
});

describe('live rate changes', () => {
  it('follows a control file at each refresh and on HUP', async () => {
    const dir = tempDir();
    const control = join(dir, 'max-bandwidth');
    writeFileSync(control, '2M\n');
    const run = startSabo(['--max-bandwidth', '1M', '--control-file', control, '--refresh-interval', '10s',
      '--pidfile', join(dir, 'pid')]);
    void feed(run.child.stdin!, pattern, 50_000_000, false);
    await waitFor('pidfile', () => existsSync(join(dir, 'pid')));
    expect(readFileSync(join(dir, 'pid'), 'utf8').trim()).toBe(String(run.child.pid));
    await sleep(1500);
    let t = performance.now();
    expect(bytesBetween(run.chunks, t - 1000, t)).toBeGreaterThan(1_700_000);
    writeFileSync(control, '500K\n');
    run.child.kill('SIGHUP');
    await sleep(1300);
    t = performance.now();
    const slow = bytesBetween(run.chunks, t - 1000, t);
    expect(slow).toBeGreaterThan(400_000);
    expect(slow).toBeLessThan(600_000);
    run.child.kill('SIGTERM');
    expect(await run.done).toBe(143);
    expect(existsSync(join(dir, 'pid'))).toBe(false);
  });

  it('throttle -t FIFO changes the rate of throttle -l FIFO', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'ctl');
    const run = startSabo(['-l', fifo, '-K', '1000'], THROTTLE);
    void feed(run.child.stdin!, pattern, 50_000_000, false);
    await waitFor('output', () => run.bytes() > 0);
    await waitFor('fifo', () => existsSync(fifo));
    const tell = spawn(THROTTLE, ['-t', fifo, '-K', '200'], { stdio: 'ignore' });
    track(tell);
    expect(await new Promise((r) => tell.on('close', r))).toBe(0);
    await sleep(1300);
    const t = performance.now();
    const got = bytesBetween(run.chunks, t - 1000, t);
    expect(got).toBeGreaterThan(204_800 * 0.8);
    expect(got).toBeLessThan(204_800 * 1.2);
    run.child.kill('SIGTERM');
    expect(await run.done).toBe(143);
    expect(runSync(THROTTLE, ['-t', join(dir, 'nobody'), '100']).status).toBe(2);
  });
});

describe('reports', () => {
  const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
  it.skipIf(!hasScript)('--progress shows bytes, rate, share and ETA on a terminal', () => {
    // script(1) gives sabo a terminal for stderr.
    const r = spawnSync('script', ['-qec', `head -c 300000 /dev/zero | '${SABO}' --max-bandwidth 200K --progress --size 300000 > /dev/null`, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\d+ kB 00:0\d \[\d+ kB\/s\] share 200 kB\/s \(1\) \d+% ETA 00:0\d/);
  });

  it('--progress stays silent when stderr is not a terminal; USR1 prints statistics', async () => {
    const run = startSabo(['--max-bandwidth', '100K', '--progress']);
    void feed(run.child.stdin!, pattern, 10_000_000, false);
    await waitFor('output', () => run.bytes() > 0);
    expect(run.stderr()).toBe('');
    run.child.kill('SIGUSR1');
    await waitFor('statistics', () => /^sabo: .* share 100 kB\/s of 100 kB\/s, 1 process$/m.test(run.stderr()));
    run.child.kill('SIGTERM');
    expect(await run.done).toBe(143);
  });

  it('-w averages over a window as throttle 1.2 does', async () => {
    // 150 kB at 100 kB/s with a 1 s window: about 1.5 s, whatever the block size.
    const run = startSabo(['-w', '1', '100000'], THROTTLE);
    void feed(run.child.stdin!, pattern, 150_000);
    expect(await run.done).toBe(0);
    expect(run.bytes()).toBe(150_000);
    const span = run.chunks[run.chunks.length - 1]![0] - run.chunks[0]![0];
    expect(span).toBeGreaterThan(900);
    expect(span).toBeLessThan(2500);
  });
});

