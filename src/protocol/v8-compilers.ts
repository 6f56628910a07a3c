// V8's compilers for a lean process that may get loud. bin/svscan and bin/relaxlogs start Node with
// its baseline and optimising compilers off (--no-sparkplug --no-maglev --no-opt): an idle or quiet
// process stays ~6 MB smaller, but the framing and labelling of log lines run interpreted, at ~0.3x
// the speed. A counter of the bytes carried turns them on for good (V8 flags are process-wide, and
// setting them again is harmless) the first time LOUD_BYTES_PER_SECOND pass within one second: code
// that runs hot from then on is compiled as usual. Quiet processes never pay for them.
// doc/design.md, "Lean companions", has the figures.
import { setFlagsFromString } from 'node:v8';

/** 8 MiB in one second: a logger this loud is worth the compilers' ~10 MB. */
export const LOUD_BYTES_PER_SECOND = 8 * 1024 * 1024;

const COMPILER_FLAGS = ['--sparkplug', '--maglev', '--opt'];

/** Bytes counted, and whether they have turned the compilers on. */
export interface LoudCounter {
  /** Counts `bytes` just carried (a clock read and an addition; nothing once on). */
  (bytes: number): void;
  /** True once this counter has turned the compilers on. */
  readonly on: boolean;
}

/**
 * A counter that turns V8's compilers on once `threshold` bytes have been counted within one second
 * (windows of one second by the monotonic clock, each from the first count after the previous one
 * ended, as a timer resetting the count every second would give, without the timer). `onSwitch` is
 * called once, when it happens.
 */
export function loudCounter(threshold = LOUD_BYTES_PER_SECOND, onSwitch?: () => void): LoudCounter {
  let windowStart = -Infinity;
  let bytes = 0;
  let on = false;
  const count = (n: number): void => {
    if (on) return;
    const now = nowMs();
    if (now - windowStart >= 1000) {
      windowStart = now;
      bytes = 0;
    }
    bytes += n;
    if (bytes < threshold) return;
    on = true;
    for (const flag of COMPILER_FLAGS) setFlagsFromString(flag);
    onSwitch?.();
  };
  return Object.defineProperty(count, 'on', { get: () => on }) as LoudCounter;
}

function nowMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}
