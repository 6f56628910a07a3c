// Unix seconds to local time as daemontools' tai64nlocal prints it from glibc's localtime():
// `YYYY-MM-DD HH:MM:SS.` in the zone of TZ (unset: /etc/localtime). The zone arithmetic is Node's
// Date (ICU's copy of the tz database, through TZ, at start-up). Two glibc rules are kept:
//   - localtime() fails when the year does not fit tm_year, an int (daemontools then crashes);
//   - the year is printed as `1900 + tm_year` (an int sum, which wraps past 2^31 - 1) converted to
//     unsigned long, so a year before 0 comes out as 2^64 + year, and nothing is zero-padded except
//     the two-digit fields.

/** 400 Gregorian years: the calendar, weekdays and zone rules (fixed offset before the first
 * transition, a yearly rule after the last) repeat over it exactly. */
const CYCLE = 146_097n * 86_400n;
/** Seconds Date can hold (8.64e15 ms) with a cycle to spare. */
const DATE_LIMIT = 8e12;

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

const p2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `YYYY-MM-DD HH:MM:SS.` for `secs`, or null where glibc's localtime() overflows. */
export function localText(secs: number | bigint): string | null {
  let cycles = 0n;
  let inRange: number;
  if (typeof secs === 'number' && Math.abs(secs) <= DATE_LIMIT) {
    inRange = secs;
  } else {
    // Out of Date's range: the same local time 400*k years nearer, then k back into the year.
    const s = BigInt(secs);
    const limit = BigInt(DATE_LIMIT);
    cycles = s > 0n ? (s - limit) / CYCLE + 1n : (s + limit) / CYCLE - 1n;
    inRange = Number(s - cycles * CYCLE);
  }
  const d = new Date(inRange * 1000);
  const year = cycles === 0n ? d.getFullYear() : Number(BigInt(d.getFullYear()) + 400n * cycles);
  const tmYear = year - 1900;
  if (!(tmYear >= INT_MIN && tmYear <= INT_MAX)) return null;
  const printed = BigInt.asUintN(64, BigInt.asIntN(32, BigInt(year)));
  return `${printed}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.`;
}
