// File-system work written once and run two ways. An engine writes its I/O as a generator that yields
// Calls (`const n = yield* call(io.write(fd, buf, 0, len))`); `runSync` (and `syncRunner`) performs
// each Call at once with the *Sync functions (a process of its own: relaxlogs), `asyncRunner` in libuv's
// thread pool (svscan's main thread: a hung or slow disk must never stall supervision,
// doc/builtin-logger.md).
// Errors are thrown into the generator at the yield, so try/catch reads as in synchronous code.
import fs from 'node:fs';

/** One system call, either way. */
export interface Call<T = unknown> {
  sync(): T;
  async(done: (err: Error | null, value?: T) => void): void;
}

export type Steps<R = void> = Generator<Call, R, unknown>;

/** Runs `steps` to the end: with runSync before returning, with runAsync later. */
export type Runner = <R>(steps: Steps<R>, done: (err: unknown, value?: R) => void) => void;

/** Performs one Call and hands its result back to the generator. */
export function* call<T>(c: Call<T>): Generator<Call, T, unknown> {
  return (yield c) as T;
}

export function runSync<R>(steps: Steps<R>): R {
  let step = steps.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = step.value.sync();
    } catch (err) {
      step = steps.throw(err);
      continue;
    }
    step = steps.next(value);
  }
  return step.value;
}

export const syncRunner: Runner = (steps, done) => {
  let value;
  try {
    value = runSync(steps);
  } catch (err) {
    done(err);
    return;
  }
  done(null, value);
};

export const asyncRunner: Runner = <R>(steps: Steps<R>, done: (err: unknown, value?: R) => void) => {
  const advance = (next: () => IteratorResult<Call, R>): void => {
    let step: IteratorResult<Call, R>;
    try {
      step = next();
    } catch (err) {
      done(err);
      return;
    }
    if (step.done) { done(null, step.value); return; }
    step.value.async((err, value) => advance(err ? () => steps.throw(err) : () => steps.next(value)));
  };
  advance(() => steps.next());
};

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The calls the engines use, named after the system calls. */
export const io = {
  open: (file: string, flags: number, mode?: number): Call<number> => ({
    sync: () => fs.openSync(file, flags, mode),
    async: (done) => fs.open(file, flags, mode, done),
  }),
  close: (fd: number): Call<void> => ({
    sync: () => fs.closeSync(fd),
    async: (done) => fs.close(fd, done),
  }),
  write: (fd: number, buf: Buffer, off: number, len: number): Call<number> => ({
    sync: () => fs.writeSync(fd, buf, off, len),
    async: (done) => fs.write(fd, buf, off, len, null, done),
  }),
  read: (fd: number, buf: Buffer, off: number, len: number, position: number): Call<number> => ({
    sync: () => fs.readSync(fd, buf, off, len, position),
    async: (done) => fs.read(fd, buf, off, len, position, done),
  }),
  fsync: (fd: number): Call<void> => ({
    sync: () => fs.fsyncSync(fd),
    async: (done) => fs.fsync(fd, done),
  }),
  fstat: (fd: number): Call<fs.Stats> => ({
    sync: () => fs.fstatSync(fd),
    async: (done) => fs.fstat(fd, done),
  }),
  stat: (file: string): Call<fs.Stats> => ({
    sync: () => fs.statSync(file),
    async: (done) => fs.stat(file, done),
  }),
  lstat: (file: string): Call<fs.Stats> => ({
    sync: () => fs.lstatSync(file),
    async: (done) => fs.lstat(file, done),
  }),
  readdir: (dir: string): Call<string[]> => ({
    sync: () => fs.readdirSync(dir),
    async: (done) => fs.readdir(dir, done),
  }),
  mkdir: (dir: string, mode: number): Call<void> => ({
    sync: () => { fs.mkdirSync(dir, { mode }); },
    async: (done) => fs.mkdir(dir, { mode }, (err) => done(err)),
  }),
  readlink: (file: string): Call<string> => ({
    sync: () => fs.readlinkSync(file),
    async: (done) => fs.readlink(file, done),
  }),
  symlink: (target: string, file: string): Call<void> => ({
    sync: () => fs.symlinkSync(target, file),
    async: (done) => fs.symlink(target, file, done),
  }),
  rename: (from: string, to: string): Call<void> => ({
    sync: () => fs.renameSync(from, to),
    async: (done) => fs.rename(from, to, done),
  }),
  unlink: (file: string): Call<void> => ({
    sync: () => fs.unlinkSync(file),
    async: (done) => fs.unlink(file, done),
  }),
  /** rm -f: a missing file is no error. */
  removeIfPresent: (file: string): Call<void> => ({
    sync: () => fs.rmSync(file, { force: true }),
    async: (done) => fs.rm(file, { force: true }, done),
  }),
  /** A pause (a full non-blocking pipe): a blocking sleep in a process of its own, a timer otherwise. */
  sleep: (ms: number): Call<void> => ({
    sync: () => { Atomics.wait(sleeper, 0, 0, ms); },
    async: (done) => { setTimeout(() => done(null), ms); },
  }),
};
