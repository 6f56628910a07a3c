import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Periods } from '../../src/relaxlogs/period.ts';
import { runSync, type Steps } from '../../src/protocol/io-steps.ts';
import { RotatingFile, WriteFailure, type RotatingFileOptions } from '../../src/relaxlogs/rotating-file.ts';
import { Strftime } from '../../src/relaxlogs/strftime.ts';
import { namedZone, UTC } from '../../src/relaxlogs/zone.ts';
import { ManualClock, tempDir } from './helpers.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 21, 16, 59, 58);
let cleanups: (() => void)[] = [];
afterEach(() => { vi.restoreAllMocks(); for (const c of cleanups) c(); cleanups = []; });

/** The file with each of its steps methods run to the end at once (syncRunner's way), as relaxlogs does. */
type AtOnce<T> = { [K in keyof T]: T[K] extends (...a: infer A) => Steps<infer R> ? (...a: A) => R : T[K] };
function runningAtOnce<T extends object>(target: T): AtOnce<T> {
  return new Proxy(target, {
    get: (t, key) => {
      const value = Reflect.get(t, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(t, args);
        return result && typeof (result as Steps).next === 'function' ? runSync(result as Steps<unknown>) : result;
      };
    },
  }) as AtOnce<T>;
}

function setup(extra: Partial<RotatingFileOptions> = {}) {
  const t = extra.dir ? { dir: extra.dir } : tempDir();
  if ('cleanup' in t) cleanups.push(t.cleanup);
  const clock = new ManualClock(T0);
  const file = runningAtOnce(new RotatingFile({
    periods: new Periods(UTC, 60 * MIN, new Strftime('log.%Y%m%d%H%M', '--pattern')), clock,
    linkName: 'current', rotationSize: 0, retention: { maxAge: 0, count: 0, totalSize: 0 },
    fsync: 'rotate', fileMode: 0o644, dirMode: 0o755, ...extra, dir: t.dir,
  }));
  const read = (name: string) => fs.readFileSync(path.join(t.dir, name), 'utf8');
  return { dir: t.dir, clock, file, read };
}

describe('RotatingFile', () => {
  it('names files by period, swaps a relative link at the boundary, never splits a line', () => {
    const { dir, clock, file, read } = setup();
    file.write(Buffer.from('one\ntw'));
    expect(fs.readlinkSync(path.join(dir, 'current'))).toBe('log.202611211600');
    clock.t = T0 + 5000; // 17:00:03: the rest of the line still belongs to the old file
    file.write(Buffer.from('o\nthree\n'));
    expect(read('log.202611211600')).toBe('one\ntwo\n');
    expect(read('log.202611211700')).toBe('three\n');
    expect(fs.readlinkSync(path.join(dir, 'current'))).toBe('log.202611211700');
    file.close();
  });

  it('is lazy: an idle period gets no file, and a leftover link.new does not wedge the swap', () => {
    const { dir, clock, file } = setup();
    file.write(Buffer.from('a\n'));
    fs.symlinkSync('garbage', path.join(dir, 'current.new'));
    clock.t = T0 + 2 * 60 * MIN;
    file.tick(false);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('log.'))).toEqual(['log.202611211600']);
    file.write(Buffer.from('b\n'));
    expect(fs.readlinkSync(path.join(dir, 'current'))).toBe('log.202611211800');
    expect(fs.existsSync(path.join(dir, 'current.new'))).toBe(false);
    file.close();
  });

  it('--create-empty opens the new period file at the boundary', () => {
    const { dir, clock, file } = setup();
    file.tick(true);
    clock.t = T0 + 2000;
    file.tick(true);
    expect(fs.readlinkSync(path.join(dir, 'current'))).toBe('log.202611211700');
    expect(fs.statSync(path.join(dir, 'log.202611211700')).size).toBe(0);
    file.close();
  });

  it('fsyncs a file before closing it at rotation and at close', () => {
    const calls: string[] = [];
    const realSync = fs.fsyncSync;
    const realClose = fs.closeSync;
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => { calls.push(`fsync ${fd}`); realSync(fd); });
    vi.spyOn(fs, 'closeSync').mockImplementation((fd) => { calls.push(`close ${fd}`); realClose(fd); });
    const { clock, file } = setup();
    file.write(Buffer.from('a\n'));
    clock.t = T0 + 5000;
    file.write(Buffer.from('b\n'));
    file.close();
    const fds = calls.filter((c) => c.startsWith('close')).map((c) => c.split(' ')[1]);
    expect(fds.length).toBeGreaterThanOrEqual(2);
    for (const fd of fds.slice(-2)) {
      expect(calls.indexOf(`fsync ${fd}`)).toBeGreaterThanOrEqual(0);
      expect(calls.indexOf(`fsync ${fd}`)).toBeLessThan(calls.lastIndexOf(`close ${fd}`));
    }
  });

  it('rotates by size into generations at line boundaries, and ALRM starts a new generation', () => {
    const { dir, file, read } = setup({ rotationSize: 10 });
    file.write(Buffer.from('1234\n5678\nabcd\nefgh\n'));
    expect(read('log.202611211600')).toBe('1234\n5678\n');
    expect(read('log.202611211600.1')).toBe('abcd\nefgh\n');
    file.write(Buffer.from('a-line-longer-than-ten\nx\n'));
    expect(read('log.202611211600.2')).toBe('a-line-longer-than-ten\n');
    expect(read('log.202611211600.3')).toBe('x\n');
    file.requestRotation();
    file.tick(false);
    expect(fs.readlinkSync(path.join(dir, 'current'))).toBe('log.202611211600.4');
    file.close();
  });

  it('appends to the last generation after a restart and sees a line left unfinished', () => {
    const { dir, file } = setup({ rotationSize: 4 });
    file.write(Buffer.from('aaaa\nbb'));
    file.close();
    const again = setup({ rotationSize: 4, dir });
    expect(again.file.probeMidLine()).toBe(true);
    again.file.write(Buffer.from('b\n'));
    expect(fs.readFileSync(path.join(dir, 'log.202611211600.1'), 'utf8')).toBe('bbb\n');
    again.file.close();
  });

  it('reports how much was written when opening the next file fails, and recreates a vanished directory on retry', () => {
    const { dir, clock, file, read } = setup();
    file.write(Buffer.from('a\n'));
    fs.rmSync(dir, { recursive: true });
    clock.t = T0 + 5000;
    let failure: unknown;
    vi.spyOn(fs, 'openSync').mockImplementationOnce(() => { throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }); });
    try { file.write(Buffer.from('b\nc\n')); } catch (e) { failure = e; }
    expect(failure).toBeInstanceOf(WriteFailure);
    expect((failure as WriteFailure).written).toBe(0);
    file.write(Buffer.from('b\nc\n'));
    expect(read('log.202611211700')).toBe('b\nc\n');
    file.close();
  });

  it('across the New York fall-back hour: one file without %z, two with it, link following', () => {
    const ny = namedZone('America/New_York');
    const edt = Date.UTC(2026, 10, 1, 5, 30); // 01:30 EDT
    const est = Date.UTC(2026, 10, 1, 6, 30); // 01:30 EST, an hour later
    for (const [pattern, files] of [
      ['log.%Y%m%d%H%M', { 'log.202611010100': 'edt\nest\n' }],
      ['log.%Y%m%d%H%M%z', { 'log.202611010100-0400': 'edt\n', 'log.202611010100-0500': 'est\n' }],
    ] as const) {
      const { dir, clock, file, read } = setup({ periods: new Periods(ny, 60 * MIN, new Strftime(pattern, '--pattern')) });
      clock.t = edt;
      file.write(Buffer.from('edt\n'));
      clock.t = est;
      file.write(Buffer.from('est\n'));
      file.close();
      for (const [name, content] of Object.entries(files)) expect(read(name)).toBe(content);
      expect(fs.readlinkSync(path.join(dir, 'current'))).toBe(Object.keys(files).at(-1));
    }
  });
});
