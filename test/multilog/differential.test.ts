// Our multilog beside daemontools' on the same scripts and the same input (a file on stdin, so that
// both read it 1 KiB at a time): the same files, names (labels aside), modes, contents, stderr and
// exit codes.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.ts';
import { DAEMONTOOLS_MULTILOG, HAVE_MULTILOG, mixedInput, OURS, runWith, snapshot, unlabel } from './helpers.ts';

let box: Sandbox;
beforeEach(() => { box = new Sandbox(); });
afterEach(() => box.cleanup());

/** Runs both on `input` in sibling directories; their results and the listed directories' snapshots. */
function both(script: string[], input: string, dirs: string[]) {
  const theirs = runWith(DAEMONTOOLS_MULTILOG, script, box.path('theirs'), input);
  const ours = runWith(OURS, script, box.path('ours'), input);
  const view = (side: string) => Object.fromEntries(dirs.map((d) => [d, snapshot(box.path(side, d))]));
  return { theirs, ours, theirDirs: view('theirs'), ourDirs: view('ours') };
}

describe.skipIf(!HAVE_MULTILOG)('multilog against daemontools 0.76', () => {
  it('t s4096 n3 ./main: the same rotations, old-file count, modes and lines (long, empty, unterminated last)', () => {
    const r = both(['t', 's4096', 'n3', './main'], mixedInput(400), ['main']);
    expect(r.ours).toEqual(r.theirs);
    expect(r.ourDirs).toEqual(r.theirDirs);
    const names = r.ourDirs.main!.map((l) => l.split(' ')[0]);
    expect(names).toEqual(['@T.s', '@T.s', 'current', 'lock', 'state']);
    expect(r.ourDirs.main!.find((l) => l.startsWith('current '))!.split(' ')[1]).toBe('744');
  });

  it('every rotation point of a long run is daemontools\' (all old files kept), over several inputs', () => {
    for (const seed of [11, 12, 13]) {
      const r = both(['t', 's4096', 'n1000', './main'], mixedInput(500, seed), ['main']);
      expect(r.ourDirs).toEqual(r.theirDirs);
      expect(r.ourDirs.main!.filter((l) => l.startsWith('@T.s')).length).toBeGreaterThan(40);
      box.cleanup();
      box = new Sandbox();
    }
  });

  it('without t, default size and number, two directories with different limits', () => {
    const script = ['./a', 's5000', 'n2', './b'];
    const r = both(script, mixedInput(300, 7), ['a', 'b']);
    expect(r.ours).toEqual(r.theirs);
    expect(r.ourDirs).toEqual(r.theirDirs);
  });

  it('+/- patterns with stars, e and =status select the same lines', () => {
    const script = ['t', 'e', '-*', '+*ERROR*', './errors', '+*fatal: *', '=fatal.status', '-*debug*', '+*', '-*ERROR*', './rest', '-*', '+hello', './hello', 'e'];
    const input = `${mixedInput(200, 3)}\nhello\nhello world\nERROR\n1 fatal: x\n`;
    const r = both(script, input, ['errors', 'rest', 'hello']);
    expect(r.ours.code).toBe(0);
    expect(unlabel(r.ours.stderr)).toEqual(unlabel(r.theirs.stderr));
    expect(r.ourDirs).toEqual(r.theirDirs);
    const status = (side: string) => unlabel(fs.readFileSync(box.path(side, 'fatal.status'), 'latin1'));
    expect(status('ours')).toEqual(status('theirs'));
    expect(fs.statSync(box.path('ours', 'fatal.status')).size).toBe(1001);
    expect((fs.statSync(box.path('ours', 'fatal.status')).mode & 0o777).toString(8)).toBe('600');
  });

  it('a star stops at the first occurrence of the next byte (no backtracking)', () => {
    const script = ['-*', '+*-x', './m', '-*', '+a*', './n'];
    const r = both(script, 'a-b-x\n-x\nab-x\na\nb\n', ['m', 'n']);
    expect(r.ourDirs).toEqual(r.theirDirs);
    expect(fs.readFileSync(box.path('ours', 'm', 'current'), 'latin1')).toBe('-x\nab-x\n');
  });

  it('e: the first 200 bytes of longer lines and "..."', () => {
    const r = both(['t', 'e'], `short\n${'y'.repeat(300)}\n\nlast`, []);
    expect(unlabel(r.ours.stderr)).toEqual(unlabel(r.theirs.stderr));
    expect(r.ours.stderr).toMatch(/^@[0-9a-f]{24} short\n@[0-9a-f]{24} y{174}\.\.\.\n/);
  });

  it('a processor: its output is the rotated file, fd 5 becomes state and is on fd 4 next time', () => {
    const processor = '!cat <&4 >&5; echo run >&5; tr a-z A-Z';
    const r = both(['s4096', 'n10', processor, './main'], mixedInput(120, 5), ['main']);
    expect(r.ours).toEqual(r.theirs);
    expect(r.ourDirs).toEqual(r.theirDirs);
    const state = fs.readFileSync(box.path('ours', 'main', 'state'), 'utf8');
    expect(state.split('\n').filter(Boolean).length).toBeGreaterThan(1);
    const old = fs.readdirSync(box.path('ours', 'main')).filter((f) => f.startsWith('@'));
    expect(old.length).toBeGreaterThan(1);
    for (const f of old) expect(fs.readFileSync(box.path('ours', 'main', f), 'utf8')).not.toMatch(/[a-z]/);
  });

  it('arguments daemontools ignores are ignored; t only counts first', () => {
    const r = both(['x', 't', 'F', '', 'zzz', './main'], 'one\ntwo\n', ['main']);
    expect(r.ours).toEqual(r.theirs);
    expect(r.ourDirs).toEqual(r.theirDirs);
    expect(fs.readFileSync(box.path('ours', 'main', 'current'), 'utf8')).toBe('one\ntwo\n');
  });

  it('s and n are clamped (s below 4096, n below 2) and read as leading digits', () => {
    const r = both(['t', 's12', 'n1', './main', 's4100junk', 'nx', './other'], mixedInput(150, 9), ['main', 'other']);
    expect(r.ourDirs).toEqual(r.theirDirs);
  });

  it('appends to a current marked complete by a previous run', () => {
    both(['t', 's4096', './main'], mixedInput(30, 2), ['main']);
    const r = both(['t', 's4096', './main'], mixedInput(30, 4), ['main']);
    expect(r.ours).toEqual(r.theirs);
    expect(r.ourDirs).toEqual(r.theirDirs);
  });

  it('start-up failures: a missing parent directory, a status file that cannot be created', () => {
    for (const script of [['./no/such/dir'], ['=no/such/file', './main']]) {
      const r = both(script, 'x\n', []);
      expect(r.ours).toEqual(r.theirs);
      expect(r.ours.code).toBe(111);
    }
    const r = both(['./no/such/dir'], 'x\n', []);
    expect(r.ours.stderr).toBe('multilog: fatal: unable to open directory ./no/such/dir: file does not exist\n');
  });

  it('an empty script reads and discards its input', () => {
    const r = both([], 'a\nb\n', []);
    expect(r.ours).toEqual({ stdout: '', stderr: '', code: 0, signal: null });
    expect(r.ours).toEqual(r.theirs);
  });
});
