// Line labels. One label per read: every line of one read() arrived at the same instant. Labels
// are cached for as long as their text cannot change (a second, or a millisecond), because a fast
// producer delivers thousands of reads per second.
import { encodeTai64n } from '../protocol/tai64n.ts';
import { formatOffset, MONTHS, p2, Strftime } from './strftime.ts';
import type { Zone } from './zone.ts';


export type Stamper = (now: number) => Buffer;

export const TIME_FORMATS = ['apache', 'iso8601', 'rfc3339-ms', 'tai64n'] as const;

/** A labeller for `format`: one of TIME_FORMATS or a strftime pattern; each label ends in a space. */
export function makeStamper(format: string, zone: Zone): Stamper {
  let text: (now: number) => string;
  let resolution = 1000;
  if (format === 'tai64n') {
    // `@` + 24 hex digits + space, as multilog `t` and svlogd -t write it; tai64nlocal reads it.
    resolution = 1;
    text = (now) => `@${encodeTai64n({ seconds: Math.floor(now / 1000), nanoseconds: (now % 1000) * 1e6 }).toString('hex')} `;
  } else if (format === 'apache') {
    text = (now) => {
      const w = zone.wall(now);
      return `[${p2(w.day)}/${MONTHS[w.month - 1]}/${w.year}:${p2(w.hour)}:${p2(w.minute)}:${p2(w.second)} ${formatOffset(w.offset)}] `;
    };
  } else if (format === 'iso8601' || format === 'rfc3339-ms') {
    const ms = format === 'rfc3339-ms';
    if (ms) resolution = 1;
    text = (now) => {
      const w = zone.wall(now);
      const frac = ms ? `.${String(w.millisecond).padStart(3, '0')}` : '';
      return `${w.year}-${p2(w.month)}-${p2(w.day)}T${p2(w.hour)}:${p2(w.minute)}:${p2(w.second)}${frac}${formatOffset(w.offset, true)} `;
    };
  } else {
    const f = new Strftime(format, '--time-format');
    if (format.includes('%L')) resolution = 1;
    text = (now) => `${f.format(zone.wall(now), () => zone.abbreviation(now))} `;
  }
  let cachedKey = NaN;
  let cached = Buffer.alloc(0);
  return (now) => {
    const key = Math.floor(now / resolution);
    if (key !== cachedKey) {
      cachedKey = key;
      cached = Buffer.from(text(now));
    }
    return cached;
  };
}
