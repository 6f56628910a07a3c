// relaxlogs' engine run both ways (src/protocol/io-steps.ts): the same steps give the same files at once
// (syncRunner, the relaxlogs process) and in libuv's thread pool (asyncRunner, svscan's built-in
// logger), and run asynchronously the stream holds its input while disk work waits.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { asyncRunner, call, io, runSync, syncRunner, type Runner, type Steps } from '../../src/protocol/io-steps.ts';
import { parseRelaxlogsArgs } from '../../src/relaxlogs/args.ts';
import { LogStream, type LogStreamHooks } from '../../src/relaxlogs/stream.ts';
import { tempDir, waitFor } from './helpers.ts';

let cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups) c(); cleanups = []; });

function* copyFile(from: string, to: string): Steps<number> {
  const fd = yield* call(io.open(from, fs.constants.O_RDONLY));
  const buf = Buffer.alloc(64);
  let n: number;
  try {
    n = yield* call(io.read(fd, buf, 0, buf.length, 0));
  } finally {
    yield* call(io.close(fd));
  }
  const out = yield* call(io.open(to, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
  try {
    return yield* call(io.write(out, buf, 0, n));
  } finally {
    yield* call(io.close(out));
  }
}

describe('io-steps', () => {
  it('runs the same steps at once and in the thread pool, with errors thrown at the yield', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    fs.writeFileSync(path.join(dir, 'a'), 'hello\n');
    expect(runSync(copyFile(path.join(dir, 'a'), path.join(dir, 'b')))).toBe(6);
    const viaPool = await new Promise<unknown>((resolve, reject) => asyncRunner(copyFile(path.join(dir, 'a'), path.join(dir, 'c')), (err, n) => (err ? reject(err) : resolve(n))));
    expect(viaPool).toBe(6);
    expect(fs.readFileSync(path.join(dir, 'c'), 'utf8')).toBe('hello\n');
    // O_EXCL on an existing file: the error reaches the generator (and its finally closes the input).
    for (const runner of [syncRunner, asyncRunner] as Runner[]) {
      const err = await new Promise<unknown>((resolve) => runner(copyFile(path.join(dir, 'a'), path.join(dir, 'b')), (e) => resolve(e)));
      expect((err as NodeJS.ErrnoException).code).toBe('EEXIST');
    }
  });
});

function run(runner: Runner, dir: string) {
  const events: string[] = [];
  let finished!: () => void;
  const done = new Promise<void>((resolve) => { finished = resolve; });
  const hooks: LogStreamHooks = {
    info: () => {},
    warn: (m) => events.push(`warn ${m}`),
    pauseInput: () => events.push('pause'),
    resumeInput: () => events.push('resume'),
    fatal: (m) => events.push(`fatal ${m}`),
    finished: () => { events.push('finished'); finished(); },
    opened: () => events.push('opened'),
  };
  const o = parseRelaxlogsArgs(['--log-dir', dir, '--rotation-size', '40', '--flush-interval', '0']);
  const stream = new LogStream(o, hooks, runner);
  return { stream, events, done };
}

describe('LogStream in the thread pool', () => {
  it('writes the same files as at once, holding input while a write waits and resuming after', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}\n`);
    const results: Record<string, string[]> = {};
    for (const [name, runner] of [['sync', syncRunner], ['async', asyncRunner]] as [string, Runner][]) {
      const logDir = path.join(dir, name);
      const { stream, events, done } = run(runner, logDir);
      if (name === 'async') {
        // The directory is taken in the pool: input waits for it, and 'opened' comes after.
        expect(events).toEqual(['pause']);
        await waitFor('opened', () => events.includes('opened'));
      }
      for (const line of lines) {
        stream.push(Buffer.from(line));
        if (name === 'async') {
          // The write is in the pool: input is held until it is done.
          expect(events.at(-1)).toBe('pause');
          await waitFor('resume', () => events.at(-1) === 'resume');
        }
      }
      stream.end();
      await done;
      expect(events.filter((e) => e.startsWith('fatal') || e.startsWith('warn'))).toEqual([]);
      results[name] = fs.readdirSync(logDir).filter((f) => f !== 'lock' && f !== 'current').sort()
        .map((f) => fs.readFileSync(path.join(logDir, f), 'utf8'));
    }
    expect(results.async).toEqual(results.sync);
    expect(results.async!.join('')).toBe(lines.join(''));
    expect(results.async!.length).toBeGreaterThan(3); // rotated at 40 bytes, at line boundaries
  });
});
