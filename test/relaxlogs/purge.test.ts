import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSync } from '../../src/protocol/io-steps.ts';
import { ownFileRegex, purge } from '../../src/relaxlogs/purge.ts';
import { Strftime } from '../../src/relaxlogs/strftime.ts';
import { tempDir } from './helpers.ts';

let cleanup = () => {};
afterEach(() => cleanup());
const own = ownFileRegex(new Strftime('log.%Y%m%d%H%M', 'p').regexSource());
const NOW = Date.UTC(2026, 10, 21, 12);
const H = 3_600_000;

function populate(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  // log.2026112100..11, one per hour, the oldest first, 100 bytes each; plus strangers.
  for (let h = 0; h < 12; h++) {
    const name = `log.20261121${String(h).padStart(2, '0')}00`;
    fs.writeFileSync(path.join(t.dir, name), 'x'.repeat(100));
    fs.utimesSync(path.join(t.dir, name), (NOW - (12 - h) * H) / 1000, (NOW - (12 - h) * H) / 1000);
  }
  for (const stranger of ['log.gz-unrelated', 'lock', 'current', 'notes.txt', 'log.2026']) {
    fs.writeFileSync(path.join(t.dir, stranger), 'keep me');
    fs.utimesSync(path.join(t.dir, stranger), 0, 0);
  }
  return t.dir;
}
const left = (dir: string) => fs.readdirSync(dir).sort();
const strangers = ['current', 'lock', 'log.2026', 'log.gz-unrelated', 'notes.txt'];

describe('purge', () => {
  it('by age deletes own files older than max-age only', () => {
    const dir = populate();
    const deleted = runSync(purge(dir, own, 'log.202611211100', { maxAge: 3.5 * H, count: 0, totalSize: 0 }, NOW));
    expect(deleted.sort()).toEqual(Array.from({ length: 9 }, (_, h) => `log.20261121${String(h).padStart(2, '0')}00`));
    expect(left(dir)).toEqual([...strangers, 'log.202611210900', 'log.202611211000', 'log.202611211100'].sort());
  });

  it('by count keeps the newest N including the active file', () => {
    const dir = populate();
    runSync(purge(dir, own, 'log.202611211100', { maxAge: 0, count: 3, totalSize: 0 }, NOW));
    expect(left(dir).filter((n) => own.test(n))).toEqual(['log.202611210900', 'log.202611211000', 'log.202611211100']);
  });

  it('by total size keeps the newest that fit, never the active file', () => {
    const dir = populate();
    runSync(purge(dir, own, 'log.202611210000', { maxAge: 0, count: 0, totalSize: 250 }, NOW));
    expect(left(dir).filter((n) => own.test(n))).toEqual(['log.202611210000', 'log.202611211100']);
    expect(left(dir)).toEqual(expect.arrayContaining(strangers));
  });

  it('recognises generations and compressed files as its own', () => {
    expect(own.test('log.202611211700.12')).toBe(true);
    expect(own.test('log.202611211700.gz')).toBe(true);
    expect(own.test('log.202611211700.1.gz')).toBe(true);
    expect(own.test('log.202611211700.bak')).toBe(false);
  });
});
