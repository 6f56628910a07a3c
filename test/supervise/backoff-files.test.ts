import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, nextQuickDeaths } from '../../src/supervise/backoff.ts';
import { parseSignal, readServiceFiles } from '../../src/supervise/service-files.ts';

describe('backoff schedule', () => {
  const noJitter = () => 0;
  it('keeps daemontools pace up to the threshold, then doubles up to the cap', () => {
    const delays = Array.from({ length: 12 }, (_, i) => backoffDelay(DEFAULT_BACKOFF, i + 1, noJitter));
    expect(delays).toEqual([0, 0, 0, 0, 0, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });
  it('takes at most the jitter fraction off', () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 7, () => 1)).toBe(3200);
    expect(backoffDelay(DEFAULT_BACKOFF, 7, () => 0.5)).toBe(3600);
  });
  it('counts quick deaths and resets after a long enough run', () => {
    expect(nextQuickDeaths(DEFAULT_BACKOFF, 4, 500)).toBe(5);
    expect(nextQuickDeaths(DEFAULT_BACKOFF, 9, 10_000)).toBe(0);
  });
});

describe('service files', () => {
  let dir: string;
  const warnings: string[] = [];
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'svtools-files-')); warnings.length = 0; });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const read = () => readServiceFiles(dir, (w) => warnings.push(w));

  it('defaults to daemontools behaviour when none exists', () => {
    expect(read()).toEqual({ finish: false, timeoutFinishMs: 5000, timeoutKillMs: 0, downSignal: 'SIGTERM', notificationFd: undefined, backoff: DEFAULT_BACKOFF });
    expect(warnings).toEqual([]);
  });

  it('reads s6-style files', () => {
    writeFileSync(join(dir, 'finish'), '#!/bin/sh\n');
    chmodSync(join(dir, 'finish'), 0o755);
    writeFileSync(join(dir, 'timeout-finish'), '250\n');
    writeFileSync(join(dir, 'timeout-kill'), '3000\n');
    writeFileSync(join(dir, 'down-signal'), 'QUIT\n');
    writeFileSync(join(dir, 'notification-fd'), '3\n');
    writeFileSync(join(dir, 'backoff-threshold'), '2');
    expect(read()).toMatchObject({ finish: true, timeoutFinishMs: 250, timeoutKillMs: 3000, downSignal: 'SIGQUIT', notificationFd: 3, backoff: { threshold: 2 } });
  });

  it('warns with the path and falls back on malformed files', () => {
    writeFileSync(join(dir, 'timeout-kill'), 'ten seconds');
    writeFileSync(join(dir, 'down-signal'), 'NOPE');
    writeFileSync(join(dir, 'notification-fd'), '1');
    expect(read()).toMatchObject({ timeoutKillMs: 0, downSignal: 'SIGTERM', notificationFd: undefined });
    expect(warnings).toEqual([
      `${dir}/down-signal should hold a signal name or number such as TERM or 3; using TERM`,
      `${dir}/notification-fd should hold a descriptor number from 3 to 1023; readiness not tracked`,
      `${dir}/timeout-kill should hold a whole number; using 0`,
    ]);
  });

  it('parses signal names and numbers', () => {
    expect(parseSignal('15')).toBe('SIGTERM');
    expect(parseSignal('sighup')).toBe('SIGHUP');
    expect(parseSignal('INT')).toBe('SIGINT');
    expect(parseSignal('99')).toBeUndefined();
  });
});
