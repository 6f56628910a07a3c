import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeStatus, encodeStatus, STATUS_SIZE, type Status } from '../../src/protocol/status.ts';
import { decodeTai64n, encodeTai64n, formatTai64n } from '../../src/protocol/tai64n.ts';
import { DAEMONTOOLS_SKIP_REASON, HAVE_DAEMONTOOLS, Sandbox, waitFor } from '../helpers/sandbox.ts';

describe('TAI64N', () => {
  it('encodes 2^62 + 10 + unix seconds and nanoseconds, big-endian', () => {
    const buf = encodeTai64n({ seconds: 1_700_000_000, nanoseconds: 123_456_789 });
    expect(buf.toString('hex')).toBe(`${(2n ** 62n + 10n + 1_700_000_000n).toString(16).padStart(16, '0')}075bcd15`);
    expect(decodeTai64n(buf)).toEqual({ seconds: 1_700_000_000, nanoseconds: 123_456_789 });
  });

  it('formats labels as tai64nlocal reads them', () => {
    const label = formatTai64n({ seconds: 0, nanoseconds: 0 });
    expect(label).toBe('@400000000000000a00000000');
    expect(execFileSync('tai64nlocal', { input: `${label} x\n`, env: { TZ: 'UTC' } }).toString()).toBe('1970-01-01 00:00:00.000000000 x\n');
  });
});

describe('status codec', () => {
  const up: Status = { since: { seconds: 1_800_000_000, nanoseconds: 5 }, pid: 0x01020304, paused: true, want: 'down' };

  it('lays out the 18 bytes as daemontools does', () => {
    const buf = encodeStatus(up);
    expect(buf.length).toBe(STATUS_SIZE);
    expect([...buf.subarray(12)]).toEqual([0x04, 0x03, 0x02, 0x01, 1, 0x64]);
    expect(decodeStatus(buf)).toEqual(up);
  });

  it('writes paused as 0 while down, and want as u, d or 0', () => {
    const down = encodeStatus({ ...up, pid: 0 });
    expect(down[16]).toBe(0);
    expect(encodeStatus({ ...up, want: 'up' })[17]).toBe(0x75);
    expect(encodeStatus({ ...up, want: 'once' })[17]).toBe(0);
  });

  it('refuses a file shorter than 18 bytes and ignores bytes past 18', () => {
    expect(decodeStatus(Buffer.alloc(17))).toBeUndefined();
    expect(decodeStatus(Buffer.alloc(0))).toBeUndefined();
    expect(decodeStatus(Buffer.concat([encodeStatus(up), Buffer.from('junk')]))).toEqual(up);
  });
});

describe.skipIf(!HAVE_DAEMONTOOLS)('status files written by daemontools supervise', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());

  it('decode to what daemontools svstat reports', async () => {
    const dir = sb.service('s', '#!/bin/sh\nexec sleep 1000\n');
    sb.spawn('supervise', [dir]);
    const read = () => decodeStatus(readFileSync(`${dir}/supervise/status`));
    const first = await waitFor('daemontools supervise to start run', () => { try { const s = read(); return s?.pid ? s : undefined; } catch { return undefined; } });
    expect(first.want).toBe('up');
    expect(first.paused).toBe(false);
    expect(execFileSync('svstat', [dir]).toString()).toContain(`up (pid ${first.pid})`);
    expect(Math.abs(first.since.seconds - Date.now() / 1000)).toBeLessThan(30);

    execFileSync('svc', ['-p', dir]);
    await waitFor('paused flag', () => read()?.paused);
    expect(execFileSync('svstat', [dir]).toString()).toContain(', paused');

    execFileSync('svc', ['-d', dir]);
    const down = await waitFor('service down', () => { const s = read(); return s && s.pid === 0 ? s : undefined; });
    expect(down.want).toBe('down');
    expect(down.paused).toBe(false);

    execFileSync('svc', ['-o', dir]);
    const once = await waitFor('service up once', () => { const s = read(); return s && s.pid !== 0 ? s : undefined; });
    expect(once.want).toBe('once');
    execFileSync('svc', ['-dx', dir]);
  });
});

if (!HAVE_DAEMONTOOLS) console.warn(DAEMONTOOLS_SKIP_REASON);
