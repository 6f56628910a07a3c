// tai64nlocal: a line that starts with `@` and lowercase hex digits gets them replaced by the local
// time they encode, exactly as daemontools' tai64nlocal reads them:
//   - any number of digits; they are shifted through a 64-bit seconds and a 32-bit nanoseconds
//     register, so only the last 24 count and fewer leave the seconds near 0;
//   - seconds - (2^62 + 10) is taken as Unix time (no leap-second table), the nanoseconds are
//     printed with at least 9 digits (10 when the field holds more than 999999999);
//   - the byte after the digits (space, newline, anything) is kept, and so is the rest of the line;
//   - at end of input inside the digits, the label is dropped (daemontools exits there).
// Where daemontools crashes (localtime() fails: seconds far from 2^62, as with short or mangled
// labels) the label is passed through unchanged instead. Other lines pass unchanged.
import type { Transform } from './filter.ts';
import { localText } from './localtime.ts';

const AT = 0x40;
const NL = 10;
const TAI64_HIGH = 0x40000000;
/** Seconds labels nearer 2^62 than this (2^52 s) are exact in a double. */
const FAST_RANGE = 2 ** 20;
const TAI64_UNIX_OFFSET = 2n ** 62n + 10n;

/** Hex digit values, -1 for anything else; uppercase is not a digit to daemontools. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = 10 + i;

function hex8(src: Buffer, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) v = v * 16 + HEX[src[i]!]!;
  return v;
}

export function localiser(): Transform {
  // glibc reads an empty TZ as UTC; Node would fall back to /etc/localtime. (Assigning TZ resets
  // Node's zone cache.)
  if (process.env.TZ === '') process.env.TZ = 'UTC';
  let out = Buffer.alloc(1 << 16);
  let pos = 0;
  /** Digits of a label cut by the end of a read, or null outside a label. */
  let pending: Buffer[] | null = null;
  let inLine = false;
  let cachedSecs: number | bigint = NaN;
  let cachedText: Buffer | null = null;

  function room(n: number): void {
    if (pos + n <= out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(pos + n, out.length * 2));
    out.copy(bigger, 0, 0, pos);
    out = bigger;
  }

  function copy(src: Buffer, from: number, to: number): void {
    room(to - from);
    pos += src.copy(out, pos, from, to);
  }

  /** Writes the date for the hex digits src[from, to), or `@` and the digits when there is none. */
  function label(src: Buffer, from: number, to: number): void {
    let secs: number | bigint;
    let nanos: number;
    const hi = to - from === 24 ? hex8(src, from) : NaN;
    if (Math.abs(hi - TAI64_HIGH) < FAST_RANGE) {
      secs = (hi - TAI64_HIGH) * 2 ** 32 + hex8(src, from + 8) - 10;
      nanos = hex8(src, from + 16);
    } else {
      const digits = src.toString('latin1', Math.max(from, to - 24), to);
      const all = digits ? BigInt(`0x${digits}`) : 0n;
      secs = BigInt.asIntN(64, BigInt.asIntN(64, all >> 32n) - TAI64_UNIX_OFFSET);
      nanos = Number(all & 0xffffffffn);
    }
    if (secs !== cachedSecs) {
      const text = localText(secs);
      cachedSecs = secs;
      cachedText = text === null ? null : Buffer.from(text, 'latin1');
    }
    if (cachedText === null) {
      room(1);
      out[pos++] = AT;
      copy(src, from, to);
      return;
    }
    copy(cachedText, 0, cachedText.length);
    const width = nanos > 999_999_999 ? 10 : 9;
    room(width);
    for (let i = pos + width - 1; i >= pos; i--) {
      out[i] = 0x30 + (nanos % 10);
      nanos = Math.floor(nanos / 10);
    }
    pos += width;
  }

  return {
    chunk(c) {
      pos = 0;
      const n = c.length;
      let i = 0;
      if (pending !== null) {
        while (i < n && HEX[c[i]!]! >= 0) i++;
        if (i === n) {
          pending.push(Buffer.from(c));
          return out.subarray(0, 0);
        }
        pending.push(c.subarray(0, i));
        const digits = Buffer.concat(pending);
        pending = null;
        label(digits, 0, digits.length);
        inLine = true;
      }
      while (i < n) {
        if (!inLine && c[i] === AT) {
          let j = i + 1;
          while (j < n && HEX[c[j]!]! >= 0) j++;
          if (j === n) {
            pending = [Buffer.from(c.subarray(i + 1))];
            break;
          }
          label(c, i + 1, j);
          i = j;
        }
        const nl = c.indexOf(NL, i);
        const to = nl === -1 ? n : nl + 1;
        copy(c, i, to);
        i = to;
        inLine = nl === -1;
      }
      return out.subarray(0, pos);
    },
    // A label still open at end of input is dropped, as daemontools exits inside it.
    end: () => Buffer.alloc(0),
  };
}
