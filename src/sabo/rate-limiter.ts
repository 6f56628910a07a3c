// The two rate limiters. Both answer one question, "may n bytes go now, and if not, how many ms until
// they may?", against a clock the caller passes in, so that they are exact and easy to test.
import type { Burst } from './units.ts';

export interface Limiter {
  /** Takes n bytes' worth of allowance and returns 0, or returns the ms to wait before asking again. */
  take(n: number, now: number): number;
  /** Installs a new rate (bytes/s) from `now` on. */
  setRate(rate: number, now: number): void;
  /** The largest n that `take` can ever grant. */
  readonly capacity: number;
}

/**
 * Token bucket, sabo's default: tokens accrue at `rate` up to `capacity` (the burst). Unlike
 * golang.org/x/time/rate as sabo uses it, a request larger than the bucket is never an error (the
 * copy loop cuts writes to `capacity`), and a rate change keeps the tokens already earned but clips
 * them to the new, smaller bucket, so a peer joining cannot be followed by a burst at the old rate.
 */
export class TokenBucket implements Limiter {
  private tokens: number;
  private last: number;
  private rate = 0;
  capacity = 0;

  constructor(rate: number, private readonly burst: Burst, startFull: boolean, now: number) {
    this.last = now;
    this.tokens = 0;
    this.setRate(rate, now);
    if (startFull) this.tokens = this.capacity;
  }

  private refill(now: number): void {
    if (now > this.last) this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  setRate(rate: number, now: number): void {
    this.refill(now);
    this.rate = rate;
    this.capacity = Math.max(1, 'bytes' in this.burst ? this.burst.bytes : rate * this.burst.seconds);
    this.tokens = Math.min(this.tokens, this.capacity);
  }

  take(n: number, now: number): number {
    this.refill(now);
    if (this.tokens >= n) {
      this.tokens -= n;
      return 0;
    }
    return ((n - this.tokens) * 1000) / this.rate;
  }
}

/**
 * throttle 1.2's `-w`: the average over each window of `windowSec` may not exceed the rate; the
 * counters restart at every window, so after a quiet spell it catches up in a burst (by design).
 */
export class WindowLimiter implements Limiter {
  private start: number;
  private bytes = 0;
  private rate = 0;
  capacity = Infinity;

  constructor(rate: number, private readonly windowSec: number, now: number) {
    this.start = now;
    this.setRate(rate, now);
  }

  setRate(rate: number, now: number): void {
    // Restart the window so that bytes counted at the old rate are not judged by the new one.
    this.rate = rate;
    this.start = now;
    this.bytes = 0;
  }

  take(n: number, now: number): number {
    if (now - this.start >= this.windowSec * 1000) {
      this.start = now;
      this.bytes = 0;
    }
    // As throttle does: a block goes when what was sent so far is within the average; then it counts.
    const due = (this.bytes * 1000) / this.rate - (now - this.start);
    if (due > 0) return due;
    this.bytes += n;
    return 0;
  }
}
