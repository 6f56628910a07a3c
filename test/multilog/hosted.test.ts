// The interpreter as another process hosts it (svscan's built-in logger): a parsed script, a base
// directory for its paths, chunks pushed in, back-pressure while a processor runs, end() at the end.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Multilog, MultilogFatal } from '../../src/multilog/multilog.ts';
import { MultilogUsageError, parseMultilogScript, type MultilogScript } from '../../src/multilog/script.ts';
import { Sandbox } from '../helpers/sandbox.ts';

let box: Sandbox;
beforeEach(() => { box = new Sandbox(); });
afterEach(() => box.cleanup());

function parsed(args: string[]): MultilogScript {
  const s = parseMultilogScript(args);
  if (s instanceof MultilogUsageError) throw s;
  return s;
}

describe('parseMultilogScript', () => {
  it('folds s, n and ! into the directories after them, clamped as daemontools clamps them', () => {
    const s = parsed(['t', 's1000000', 'n10', './main', 's1', 'n0', '!gzip', '/abs', 'e', '+a*', '-b', '=st', 'q']);
    expect(s.timestamp).toBe(true);
    expect(s.ignored).toEqual(['q']);
    expect(s.actions).toEqual([
      { kind: 'dir', dir: './main', size: 1000000, num: 10, processor: null },
      { kind: 'dir', dir: '/abs', size: 4096, num: 2, processor: 'gzip' },
      { kind: 'stderr' },
      { kind: 'select', pattern: Buffer.from('a*') },
      { kind: 'deselect', pattern: Buffer.from('b') },
      { kind: 'status', file: 'st' },
    ]);
    expect(parsed(['s99999999999', './x']).actions[0]).toMatchObject({ size: 16777215, num: 10 });
  });

  it('a status action without a file is a usage error', () => {
    expect(parseMultilogScript(['t', '=', './main'])).toBeInstanceOf(MultilogUsageError);
  });
});

describe('Multilog hosted in a process', () => {
  it('resolves the script against the base directory, not the cwd, and marks current complete at end()', async () => {
    const base = box.path('svc', 'log');
    fs.mkdirSync(base, { recursive: true });
    const ml = new Multilog(parsed(['t', './main', '=status']), { baseDir: base });
    expect(ml.push(Buffer.from('one\ntw'))).toBe(true);
    expect(ml.atLineStart).toBe(false);
    expect(ml.push(Buffer.from('o\n'))).toBe(true);
    ml.push(Buffer.from('three'));
    await ml.end();
    const current = fs.readFileSync(path.join(base, 'main', 'current'), 'utf8');
    expect(current.replace(/@[0-9a-f]{24} /g, '')).toBe('one\ntwo\nthree\n');
    expect(fs.statSync(path.join(base, 'main', 'current')).mode & 0o777).toBe(0o744);
    expect(fs.readFileSync(path.join(base, 'status'), 'utf8')).toMatch(/^@[0-9a-f]{24} three\n{970}$/);
    // The lock is released: another writer takes the directory at once.
    const again = new Multilog(parsed(['./main']), { baseDir: base });
    await again.end();
  });

  it('push() returns false while a processor runs, onDrain says when to go on, nothing is lost', async () => {
    const base = box.path('log');
    fs.mkdirSync(base);
    let drain: () => void = () => {};
    const ml = new Multilog(parsed(['s4096', '!sleep 0.3; cat', './main']), { baseDir: base, onDrain: () => drain() });
    const line = `${'z'.repeat(99)}\n`;
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      if (ml.push(Buffer.from(line))) continue;
      refused++;
      // As a host does: stop reading until told.
      await new Promise<void>((resolve) => { drain = resolve; });
    }
    expect(refused).toBeGreaterThan(1);
    await ml.end();
    const dir = path.join(base, 'main');
    const all = fs.readdirSync(dir).filter((f) => f.startsWith('@')).sort().map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('') + fs.readFileSync(path.join(dir, 'current'), 'utf8');
    expect(all).toBe(line.repeat(100));
  });

  it('a locked directory is a MultilogFatal with daemontools\' words, and the host keeps running', () => {
    const base = box.path('log');
    fs.mkdirSync(base);
    const first = new Multilog(parsed(['./main']), { baseDir: base });
    expect(() => new Multilog(parsed(['./main']), { baseDir: base })).toThrow(new MultilogFatal('unable to lock directory ./main: temporary failure'));
    return first.end();
  });
});
