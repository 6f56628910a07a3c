// The copy runs on the main thread: a stalled reader must not hold up a signal, a slow producer must
// cost no CPU, and stdout's pipe must not be left non-blocking for whoever shares it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, lockFiles, SABO, startSabo, tempDir, track, waitFor } from './helpers.ts';

afterEach(cleanup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Bytes a process has read so far (/proc/PID/io rchar). */
function bytesRead(pid: number): number {
  return Number(/^rchar: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

function exitStatus(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve(signal ? 128 + osConstants.signals[signal] : code!));
  });
}

/**
 * sabo copying /dev/zero at 100 MB/s into `cat`, through a socket (what Node's spawn gives) or a
 * named pipe; resolves once cat is stopped and sabo's write is stuck on the full pipe.
 */
async function stuckOnStoppedReader(kind: 'socket' | 'fifo', workDir: string) {
  const zero = openSync('/dev/zero', 'r');
  let cat: ChildProcess;
  let out: number | Writable;
  if (kind === 'fifo') {
    const fifo = join(workDir, 'out');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    cat = spawn('cat', [fifo], { stdio: ['ignore', 'ignore', 'ignore'] });
    track(cat);
    out = await waitFor('cat to open the fifo', () => {
      let probe: number;
      try {
        probe = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK); // ENXIO until cat reads it
      } catch {
        return undefined;
      }
      // A blocking description; cat is there, so it opens at once. The probe closes after it: closed
      // first, it would be the fifo's last writer and give cat its end of input.
      const fd = openSync(fifo, 'w');
      closeSync(probe);
      return fd;
    });
  } else {
    cat = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    track(cat);
    out = cat.stdin!;
  }
  const sabo: ChildProcess = spawn(SABO, ['--max-bandwidth', '100M', '--work-dir', workDir], { stdio: [zero, out, 'pipe'] });
  track(sabo);
  closeSync(zero);
  if (typeof out === 'number') closeSync(out);
  const status = exitStatus(sabo);
  await waitFor('lock file', () => lockFiles(workDir).length === 1);
  await sleep(300);
  cat.kill('SIGSTOP');
  // Stuck: sabo reads no more (what it holds cannot be written).
  for (let last = -1, deadline = Date.now() + 15_000; ; await sleep(300)) {
    const now = bytesRead(sabo.pid!);
    if (now === last) break;
    if (Date.now() > deadline) throw new Error('sabo never stopped reading');
    last = now;
  }
  return { sabo, cat, status };
}

describe('a stalled downstream', () => {
  it.each(['socket', 'fifo'] as const)('TERM ends sabo within the flush grace while its reader is stopped (%s)', async (kind) => {
    const dir = tempDir();
    const { sabo, cat, status } = await stuckOnStoppedReader(kind, dir);
    const t = performance.now();
    sabo.kill('SIGTERM');
    // 0.5 s of grace; a few seconds on a loaded machine.
    expect(await Promise.race([status, sleep(5000).then(() => 'still running')])).toBe(143);
    expect(performance.now() - t).toBeLessThan(3000);
    expect(lockFiles(dir)).toEqual([]);
    cat.kill('SIGCONT');
  });

  it('a write waiting on a full pipe whose reader dies exits 141 (EPIPE)', async () => {
    const dir = tempDir();
    const { cat, status } = await stuckOnStoppedReader('fifo', dir);
    cat.kill('SIGKILL');
    expect(await status).toBe(141);
    expect(lockFiles(dir)).toEqual([]);
  });
});

describe('a slow producer', () => {
  // 1M reads 64 KiB at a time; 100K reads at most a quarter second (25 kB) at a time.
  it.each(['1M', '100K'])('costs next to no CPU while it waits for input (--max-bandwidth %s)', async (rate) => {
    const run = startSabo(['--max-bandwidth', rate]);
    run.child.stdin!.write('x');
    await waitFor('the first byte', () => run.bytes() === 1);
    const before = cpuSeconds(run.child.pid!);
    await sleep(3000);
    // A busy loop would take ~3 s; an idle Node process takes a few ms.
    expect(cpuSeconds(run.child.pid!) - before).toBeLessThan(0.3);
    run.child.stdin!.end('y');
    expect(await run.done).toBe(0);
    expect(run.bytes()).toBe(2);
  });
});

describe('stdout shared with others', () => {
  it('sabo does not leave O_NONBLOCK on the pipe description it shares (the next writer may be a C program)', () => {
    // grep runs beside sabo with the same stdout description, and reports its flags.
    const script = `sleep 2 | '${SABO}' --max-bandwidth 1M & sleep 1; grep '^flags' /proc/self/fdinfo/1 >&2; kill $!; wait`;
    const r = spawnSync('bash', ['-c', `{ ${script}; } | cat`], { encoding: 'utf8', timeout: 20_000 });
    const flags = parseInt(/^flags:\s+(\d+)/m.exec(r.stderr)![1]!, 8);
    expect(flags & constants.O_NONBLOCK).toBe(0);
  });
});
