// The wall clock to the microsecond, as daemontools' taia_now() reads it (gettimeofday: nanoseconds =
// 1000 * microseconds + 500). Node's wall clock, Date.now(), has milliseconds only, and its
// microsecond clock, performance.now(), is monotonic and drifts from the wall clock when that is
// stepped or slewed. So the microseconds come from performance.now(), re-anchored on every call to
// stay inside the millisecond Date.now() reports: a label is never outside the wall clock's reading.
import type { Timestamp } from '../protocol/tai64n.ts';

/** Wall-clock milliseconds minus performance.now(), corrected whenever it leaves Date.now()'s millisecond. */
let anchor = performance.timeOrigin;

/** Microseconds since the epoch, within the millisecond Date.now() reports. */
function wallMicroseconds(): number {
  const ms = Date.now();
  const mono = performance.now();
  let estimate = anchor + mono;
  if (estimate < ms) {
    anchor = ms - mono;
    estimate = ms;
  } else if (estimate >= ms + 1) {
    anchor = ms + 0.999 - mono;
    estimate = ms + 0.999;
  }
  return Math.floor(estimate * 1000);
}

/** Now, as daemontools labels it: microsecond resolution, nanoseconds ending in 500. */
export function taiaNow(): Timestamp {
  const us = wallMicroseconds();
  const seconds = Math.floor(us / 1e6);
  return { seconds, nanoseconds: (us - seconds * 1e6) * 1000 + 500 };
}
