// The copy loop, on the main thread and driven by events. The reader (src/protocol/read-input.ts)
// hands over one chunk at a time; the chunk is cut into pieces of at most 2.5 ms of the share, each
// piece waits for the limiter on a timer (never a busy loop) and is written to the output
// (./output.ts), which never blocks. While a chunk is in hand the reader is paused, so that the
// chunk stays valid, nothing more is read ahead, and a signal has at most that chunk to write out.
import { READ_SIZE, readInput, type Input } from '../protocol/read-input.ts';
import type { Output } from './output.ts';
import { TokenBucket, WindowLimiter, type Limiter } from './rate-limiter.ts';
import type { Burst } from './units.ts';

export interface CopyConfig {
  burst: Burst;
  startFull: boolean;
  windowSec: number | undefined;
  blockSize: number;
  stopAfter: number | undefined;
}

export type CopyOutcome =
  | { kind: 'eof' | 'stopped' | 'aborted' }
  | { kind: 'read-error' | 'write-error' | 'epipe'; message: string };

export interface Copy {
  /** Bytes taken from stdin and written to stdout so far. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** A new share in bytes/s, from the next piece on. */
  setRate(rate: number): void;
  /**
   * Stops: writes out what was read, at once and regardless of the rate, then ends with `aborted`
   * (at once when nothing is in hand).
   */
  abort(): void;
}

export function startCopy(config: CopyConfig, rate: number, output: Output, onEnd: (outcome: CopyOutcome) => void, inFd = 0): Copy {
  const now = () => performance.now();
  const limiter: Limiter = config.windowSec
    ? new WindowLimiter(rate, config.windowSec, now())
    : new TokenBucket(rate, config.burst, config.startFull, now());
  let left = config.stopAfter ?? Infinity;
  let bytesIn = 0;
  let bytesOut = 0;
  let chunk: Buffer | undefined; // read, not all written yet
  let off = 0;
  let timer: NodeJS.Timeout | undefined; // waiting for the limiter
  let writing = 0; // bytes of a write waiting for the output
  let paused = false;
  let limited = false;
  let aborted = false;
  let ended = false;
  let pumping = false;

  const end = (outcome: CopyOutcome) => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    onEnd(outcome);
  };
  const failed = (err: Error) => {
    const code = (err as NodeJS.ErrnoException).code;
    end({ kind: code === 'EPIPE' ? 'epipe' : 'write-error', message: err.message });
  };
  // At most 2.5 ms of the share per write: a 1-second window can see one write beyond the limit,
  // and that write is then 0.25 % of it.
  const pieceSize = () => Math.max(1, Math.floor(Math.min(config.blockSize, limiter.capacity, rate / 400)));
  // Read no more than a quarter second of the share ahead: that is what a signal may still flush.
  const limitReads = () => {
    const want = Math.min(left, Math.max(pieceSize(), Math.floor(rate / 4)));
    if (want >= READ_SIZE && !limited) return; // smaller reads need limitReads
    limited = true;
    input.limitReads(want);
  };
  const hold = () => {
    if (paused) return;
    paused = true;
    input.pause();
  };

  const pump = (): void => {
    // A read the reader delivers from inside resume() lands here: the running loop takes it.
    if (pumping) return;
    pumping = true;
    try {
      while (chunk && !ended) {
        if (off === chunk.length) {
          left -= chunk.length;
          chunk = undefined;
          if (left <= 0) return end({ kind: 'stopped' });
          if (aborted) return end({ kind: 'aborted' });
          limitReads();
          if (paused) {
            paused = false;
            input.resume();
          }
          continue;
        }
        const piece = aborted ? chunk.length - off : Math.min(chunk.length - off, pieceSize());
        if (!aborted) {
          const wait = limiter.take(piece, now());
          if (wait > 0) {
            timer = setTimeout(() => { timer = undefined; pump(); }, Math.ceil(wait));
            return hold();
          }
        }
        const done = output.write(chunk, off, off + piece, written);
        off += piece;
        if (!done) {
          writing = piece;
          return hold();
        }
        bytesOut += piece;
      }
    } catch (err) {
      if (!(err as NodeJS.ErrnoException).code) throw err;
      failed(err as Error);
    } finally {
      pumping = false;
    }
  };

  const written = (err?: Error | null) => {
    if (err) return failed(err);
    bytesOut += writing;
    pump();
  };

  const input: Input = readInput(inFd, {
    data: (data) => {
      if (ended) return;
      chunk = data.length > left ? data.subarray(0, left) : data;
      off = 0;
      bytesIn += chunk.length;
      pump();
    },
    end: () => end({ kind: 'eof' }),
    error: (err) => end({ kind: 'read-error', message: err.message }),
  });
  limitReads();

  return {
    get bytesIn() { return bytesIn; },
    get bytesOut() { return bytesOut; },
    setRate(r) {
      if (r === rate) return;
      rate = r;
      limiter.setRate(r, now());
      limitReads();
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
        pump();
      }
    },
    abort() {
      aborted = true;
      if (!chunk) return end({ kind: 'aborted' });
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
        pump();
      }
    },
  };
}
