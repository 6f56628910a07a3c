// The copy loop. It runs on a worker thread with plain blocking read(2)/write(2) on fds 0 and 1: that
// is as fast as cat(1) (the stream API costs 25-40% of the throughput), and a blocked read cannot
// delay signal handling, which stays on the main thread. The main thread talks to it through shared
// memory: the current share, an abort flag, and counters for the statistics.
import { readSync, writeSync } from 'node:fs';
import { TokenBucket, WindowLimiter, type Limiter } from './rate-limiter.ts';
import type { Burst } from './units.ts';

/** Everything but the rate, which the main thread keeps in the shared memory from the start. */
export interface CopyConfig {
  burst: Burst;
  startFull: boolean;
  windowSec: number | undefined;
  blockSize: number;
  stopAfter: number | undefined;
}

/** Where the worker is: the main thread may exit at once while it only waits for input. */
export const Phase = { Reading: 0, Waiting: 1, Writing: 2, Done: 3 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

const GEN = 0; // bumped on every rate change or abort; the worker sleeps on it
const ABORT = 1;
const PHASE = 2;
const RATE = 0;
const BYTES_IN = 1;
const BYTES_OUT = 2;

/** Memory shared between the main thread and the copy worker. */
export class CopyShared {
  readonly ints: Int32Array;
  readonly nums: Float64Array;

  constructor(buffers?: { ints: SharedArrayBuffer; nums: SharedArrayBuffer }) {
    this.ints = new Int32Array(buffers?.ints ?? new SharedArrayBuffer(4 * 4));
    this.nums = new Float64Array(buffers?.nums ?? new SharedArrayBuffer(8 * 4));
  }

  get buffers() {
    return { ints: this.ints.buffer as SharedArrayBuffer, nums: this.nums.buffer as SharedArrayBuffer };
  }

  setRate(rate: number): void {
    this.nums[RATE] = rate;
    Atomics.add(this.ints, GEN, 1);
    Atomics.notify(this.ints, GEN);
  }

  abort(): void {
    Atomics.store(this.ints, ABORT, 1);
    Atomics.add(this.ints, GEN, 1);
    Atomics.notify(this.ints, GEN);
  }

  get rate(): number { return this.nums[RATE]!; }
  get bytesIn(): number { return this.nums[BYTES_IN]!; }
  get bytesOut(): number { return this.nums[BYTES_OUT]!; }
  get phase(): Phase { return Atomics.load(this.ints, PHASE) as Phase; }
}

export type CopyOutcome =
  | { kind: 'eof' | 'stopped' | 'aborted' }
  | { kind: 'read-error' | 'write-error' | 'epipe'; message: string };

class IoError extends Error {
  constructor(readonly side: 'read' | 'write', readonly error: NodeJS.ErrnoException) {
    super(error.message);
  }
}

/** EAGAIN means the fd was left non-blocking by an earlier Node process: poll, backing off. */
function isRetryable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EINTR';
}

export function runCopy(config: CopyConfig, shared: CopyShared, inFd = 0, outFd = 1): CopyOutcome {
  const { ints, nums } = shared;
  const now = () => performance.now();
  let gen = Atomics.load(ints, GEN);
  let rate = nums[RATE]!;
  const limiter: Limiter = config.windowSec
    ? new WindowLimiter(rate, config.windowSec, now())
    : new TokenBucket(rate, config.burst, config.startFull, now());
  const buf = Buffer.allocUnsafe(Math.max(config.blockSize, 128 * 1024));
  let left = config.stopAfter ?? Infinity;
  const aborted = () => Atomics.load(ints, ABORT) === 1;
  const sleep = (ms: number) => Atomics.wait(ints, GEN, gen, ms);
  const syncRate = () => {
    const g = Atomics.load(ints, GEN);
    if (g === gen) return;
    gen = g;
    if (nums[RATE] !== rate) {
      rate = nums[RATE]!;
      limiter.setRate(rate, now());
    }
  };
  // At most 2.5 ms of the share per write: a 1-second window can see one write beyond the limit,
  // and that write is then 0.25 % of it.
  const pieceSize = () => Math.max(1, Math.floor(Math.min(config.blockSize, limiter.capacity, rate / 400)));

  const retrying = <T>(side: 'read' | 'write', op: () => T): T | undefined => {
    for (let backoff = 1; ; backoff = Math.min(backoff * 2, 20)) {
      try {
        return op();
      } catch (err) {
        if (!isRetryable(err)) throw new IoError(side, err as NodeJS.ErrnoException);
        if (aborted()) return undefined;
        sleep(backoff);
      }
    }
  };
  const writeAll = (start: number, end: number): boolean => {
    Atomics.store(ints, PHASE, Phase.Writing);
    while (start < end) {
      const n = retrying('write', () => writeSync(outFd, buf, start, end - start));
      if (n === undefined) return false;
      start += n;
      nums[BYTES_OUT]! += n;
    }
    return true;
  };

  try {
    for (;;) {
      if (aborted()) return { kind: 'aborted' };
      Atomics.store(ints, PHASE, Phase.Reading);
      // Read no more than a quarter second of the share ahead: that is what a signal may still flush.
      syncRate();
      const want = Math.min(left, Math.max(pieceSize(), Math.min(buf.length, Math.floor(rate / 4))));
      const n = retrying('read', () => readSync(inFd, buf, 0, want, null));
      if (n === undefined) return { kind: 'aborted' };
      if (n === 0) return { kind: 'eof' };
      nums[BYTES_IN]! += n;
      let off = 0;
      while (off < n) {
        Atomics.store(ints, PHASE, Phase.Waiting);
        syncRate();
        const piece = Math.min(n - off, pieceSize());
        const wait = limiter.take(piece, now());
        if (wait > 0) {
          if (aborted()) {
            // What was read goes out; what is still upstream stays there.
            writeAll(off, n);
            return { kind: 'aborted' };
          }
          sleep(wait);
          continue;
        }
        if (!writeAll(off, off + piece)) return { kind: 'aborted' };
        off += piece;
      }
      left -= n;
      if (left <= 0) return { kind: 'stopped' };
    }
  } catch (err) {
    if (!(err instanceof IoError)) throw err;
    if (err.side === 'read') return { kind: 'read-error', message: err.message };
    if (err.error.code === 'EPIPE') return { kind: 'epipe', message: err.message };
    return { kind: 'write-error', message: err.message };
  } finally {
    Atomics.store(ints, PHASE, Phase.Done);
  }
}
