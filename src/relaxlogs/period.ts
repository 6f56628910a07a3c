// Which file a line read at instant `now` belongs to. Periods are cut on the wall clock of the
// zone: a period shorter than a day restarts at each local midnight (so every divisor of a day gives
// relaxlogs' own names), a longer one counts from year 1 as Go's Time.Truncate did in relaxlogs.
// The name is the pattern applied to the period's first wall-clock minute with the offset in force
// now: across a fall-back hour a pattern without %z keeps appending to one file, one with %z gets
// two; the hour skipped by spring-forward simply has no file.
import { Strftime } from './strftime.ts';
import { UsageError } from './units.ts';
import { fromUtcFields, wallMs, type Zone } from './zone.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Milliseconds from 0001-01-01 to 1970-01-01, Go's zero time to the Unix epoch. */
const YEAR1_TO_EPOCH = 719_162 * DAY;

export interface PeriodInfo {
  name: string;
  /** The earliest instant at which the name may change: check again then. */
  nextCheck: number;
}

export class Periods {
  readonly length: number;

  constructor(private readonly zone: Zone, lengthMs: number, readonly pattern: Strftime) {
    // relaxlogs: a rotation time of 0 minutes meant a new file each minute.
    this.length = lengthMs <= 0 ? MINUTE : lengthMs;
    if (this.length < 1000) throw new UsageError('--rotation-time: at least 1s');
    this.checkPatternChanges();
  }

  /** Wall-clock start and end (both as wall-as-UTC numbers) of the period holding wall time `w`. */
  bounds(w: number): [number, number] {
    const p = this.length;
    if (p < DAY) {
      const midnight = w - mod(w, DAY);
      const start = midnight + Math.floor((w - midnight) / p) * p;
      return [start, Math.min(start + p, midnight + DAY)];
    }
    const start = w - mod(w + YEAR1_TO_EPOCH, p);
    return [start, start + p];
  }

  at(now: number): PeriodInfo {
    const wall = this.zone.wall(now);
    const [start, end] = this.bounds(wallMs(wall));
    const name = this.nameOf(start, wall.offset, () => this.zone.abbreviation(now));
    // Offsets only change on whole minutes, so a check each UTC minute catches every DST switch
    // even when the wall-clock end estimated with today's offset is later.
    const byWall = end - wall.offset * MINUTE;
    const nextMinute = Math.floor(now / MINUTE) * MINUTE + MINUTE;
    return { name, nextCheck: byWall > now ? Math.min(byWall, nextMinute) : nextMinute };
  }

  private nameOf(startWall: number, offset: number, zoneName: () => string): string {
    return this.pattern.format(fromUtcFields(new Date(startWall), offset), zoneName);
  }

  /** A pattern that gives two consecutive periods one name would silently merge them: refuse it. */
  private checkPatternChanges(): void {
    let start = this.bounds(Date.UTC(2026, 0, 1))[0];
    let previous = this.nameOf(start, 0, () => 'UTC');
    for (let i = 0; i < 400; i++) {
      start = this.bounds(start)[1];
      const name = this.nameOf(start, 0, () => 'UTC');
      if (name === previous) {
        throw new UsageError(`--pattern '${this.pattern.pattern}' gives two consecutive periods the same name '${name}': add finer fields`);
      }
      previous = name;
    }
  }
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
