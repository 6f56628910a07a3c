import { describe, expect, it } from 'vitest';
import { Periods } from '../../src/relaxlogs/period.ts';
import { Strftime } from '../../src/relaxlogs/strftime.ts';
import { UsageError } from '../../src/relaxlogs/units.ts';
import { namedZone, UTC, type Zone } from '../../src/relaxlogs/zone.ts';

const MIN = 60_000;
const periods = (zone: Zone, minutes: number, pattern = 'log.%Y%m%d%H%M') => new Periods(zone, minutes * MIN, new Strftime(pattern, '--pattern'));

describe('period names', () => {
  it('matches relaxlogs names for 60-minute periods and changes exactly at the boundary', () => {
    const p = periods(UTC, 60);
    const t = Date.UTC(2026, 10, 21, 17, 0, 0);
    expect(p.at(t - 1).name).toBe('log.202611211600');
    expect(p.at(t).name).toBe('log.202611211700');
    expect(p.at(t + 59 * MIN + 59_999).name).toBe('log.202611211700');
    expect(p.at(t - 1).nextCheck).toBe(t);
  });

  it('aligns 90-minute and daily periods to local midnight', () => {
    const ny = namedZone('America/New_York');
    const p90 = periods(ny, 90);
    // 2026-11-21 04:40 EST = 09:40 UTC: the 03:00-04:30 period is over, 04:30-06:00 runs.
    expect(p90.at(Date.UTC(2026, 10, 21, 9, 40)).name).toBe('log.202611210430');
    const day = periods(ny, 1440);
    expect(day.at(Date.UTC(2026, 10, 21, 4, 59)).name).toBe('log.202611200000');
    expect(day.at(Date.UTC(2026, 10, 21, 5, 0)).name).toBe('log.202611210000');
    expect(day.at(Date.UTC(2026, 10, 21, 4, 0)).nextCheck).toBe(Date.UTC(2026, 10, 21, 4, 1));
  });

  it('restarts a period that does not divide the day at midnight', () => {
    const p = periods(UTC, 7 * 60);
    expect(p.at(Date.UTC(2026, 0, 1, 22, 0)).name).toBe('log.202601012100');
    expect(p.at(Date.UTC(2026, 0, 2, 0, 30)).name).toBe('log.202601020000');
  });

  it('--rotation-time 0 means a new file every minute, as relaxlogs', () => {
    const p = periods(UTC, 0);
    expect(p.at(Date.UTC(2026, 0, 1, 0, 1, 30)).name).toBe('log.202601010001');
  });

  it('fall-back: the repeated hour shares a name without %z and gets two names with %z', () => {
    const ny = namedZone('America/New_York');
    // 2026-11-01: 01:30 EDT = 05:30 UTC, then 01:30 EST = 06:30 UTC.
    const first = Date.UTC(2026, 10, 1, 5, 30);
    const second = Date.UTC(2026, 10, 1, 6, 30);
    const plain = periods(ny, 60);
    expect(plain.at(first).name).toBe('log.202611010100');
    expect(plain.at(second).name).toBe('log.202611010100');
    const withZ = periods(ny, 60, 'log.%Y%m%d%H%M%z');
    expect(withZ.at(first).name).toBe('log.202611010100-0400');
    expect(withZ.at(second).name).toBe('log.202611010100-0500');
    // The switch is found although the wall-clock period has not ended.
    expect(withZ.at(first).nextCheck).toBeLessThanOrEqual(Date.UTC(2026, 10, 1, 6, 0));
    expect(plain.at(Date.UTC(2026, 10, 1, 7, 0)).name).toBe('log.202611010200');
  });

  it('spring-forward: the skipped hour has no file, the next is named by its wall clock', () => {
    const ny = namedZone('America/New_York');
    // 2026-03-08: 01:59 EST = 06:59 UTC, next minute is 03:00 EDT.
    const p = periods(ny, 60);
    expect(p.at(Date.UTC(2026, 2, 8, 6, 59)).name).toBe('log.202603080100');
    expect(p.at(Date.UTC(2026, 2, 8, 7, 0)).name).toBe('log.202603080300');
    expect(p.at(Date.UTC(2026, 2, 8, 6, 59, 30)).nextCheck).toBe(Date.UTC(2026, 2, 8, 7, 0));
  });

  it('refuses a pattern that does not change every period', () => {
    expect(() => periods(UTC, 60, 'log.%Y%m%d')).toThrow(UsageError);
    expect(() => periods(UTC, 1440, 'log.%Y%m%d')).not.toThrow();
    expect(() => new Strftime('log.%Q', '--pattern')).toThrow(UsageError);
  });

  it('the purge expression matches its own names only', () => {
    const re = new RegExp(`^${new Strftime('log.%Y%m%d%H%M', 'p').regexSource()}$`);
    expect(re.test('log.202611211700')).toBe(true);
    expect(re.test('log.gz-unrelated')).toBe(false);
    expect(re.test('logX202611211700')).toBe(false);
  });
});
