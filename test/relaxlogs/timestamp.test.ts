import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeStamper } from '../../src/relaxlogs/timestamp.ts';
import { namedZone, UTC } from '../../src/relaxlogs/zone.ts';

const T = Date.UTC(2026, 10, 21, 22, 0, 0, 123);

describe('labels', () => {
  it('apache with the offset really in force (relaxlogs printed +0900 everywhere)', () => {
    expect(makeStamper('apache', namedZone('America/New_York'))(T).toString()).toBe('[21/Nov/2026:17:00:00 -0500] ');
    expect(makeStamper('apache', namedZone('Asia/Tokyo'))(T).toString()).toBe('[22/Nov/2026:07:00:00 +0900] ');
    expect(makeStamper('apache', namedZone('America/New_York'))(Date.UTC(2026, 6, 1, 12)).toString()).toBe('[01/Jul/2026:08:00:00 -0400] ');
  });

  it('RFC 3339 / ISO 8601 and strftime', () => {
    const kolkata = namedZone('Asia/Kolkata');
    expect(makeStamper('iso8601', kolkata)(T).toString()).toBe('2026-11-22T03:30:00+05:30 ');
    expect(makeStamper('rfc3339-ms', UTC)(T).toString()).toBe('2026-11-21T22:00:00.123+00:00 ');
    expect(makeStamper('%F %T.%L %Z', UTC)(T).toString()).toBe('2026-11-21 22:00:00.123 UTC ');
  });

  it('TAI64N labels are read by tai64nlocal', () => {
    const label = makeStamper('tai64n', UTC)(T).toString();
    expect(label).toMatch(/^@40000000[0-9a-f]{16} $/);
    if (spawnSync('tai64nlocal', { input: '' }).error) {
      console.warn('skipped the tai64nlocal check: install Debian package daemontools');
      return;
    }
    const out = execFileSync('tai64nlocal', { input: `${label}hello\n`, env: { ...process.env, TZ: 'UTC' } }).toString();
    expect(out).toBe('2026-11-21 22:00:00.123000000 hello\n');
  });
});
