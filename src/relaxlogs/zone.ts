// Wall-clock time in the zone that names files, places period boundaries and labels lines: the
// process's local zone, UTC, or a named IANA zone. relaxlogs printed a literal +0900 whatever the
// zone; every label here carries the offset that was really in force at that instant.

export interface Wall {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** 0 = Sunday */
  weekday: number;
  /** Minutes east of UTC in force at this instant. */
  offset: number;
}

export interface Zone {
  wall(ms: number): Wall;
  /** Abbreviation for strftime %Z (`EST`, `UTC`, `GMT+9` when the zone has none). */
  abbreviation(ms: number): string;
}

/** The fields of `d` read in UTC, labelled with `offset`. */
export function fromUtcFields(d: Date, offset: number): Wall {
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(),
    minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(), offset,
  };
}

export const UTC: Zone = {
  wall: (ms) => fromUtcFields(new Date(ms), 0),
  abbreviation: () => 'UTC',
};

/** The zone of the process (TZ): the fast Date getters. */
export const LOCAL: Zone = {
  wall(ms) {
    const d = new Date(ms);
    return {
      year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(),
      minute: d.getMinutes(), second: d.getSeconds(), millisecond: d.getMilliseconds(),
      weekday: d.getDay(), offset: -d.getTimezoneOffset(),
    };
  },
  abbreviation: (ms) => shortName(undefined, ms),
};

function shortName(timeZone: string | undefined, ms: number): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(ms);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
}

/** A named IANA zone through Intl; throws RangeError for an unknown name. */
export function namedZone(timeZone: string): Zone {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  return {
    wall(ms) {
      const f: Record<string, number> = {};
      for (const p of fmt.formatToParts(ms)) if (p.type !== 'literal') f[p.type] = Number(p.value);
      const whole = Math.floor(ms / 1000) * 1000;
      const asUtc = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
      return fromUtcFields(new Date(asUtc + (ms - whole)), Math.round((asUtc - whole) / 60_000));
    },
    abbreviation: (ms) => shortName(timeZone, ms),
  };
}

/** The wall time as if it were UTC: the number period arithmetic works on. */
export function wallMs(w: Wall): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
}
