import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandBytes } from '../../src/svc/svc.ts';
import { getopt } from '../../src/protocol/getopt.ts';
import { makeFifo } from '../../src/protocol/fifo.ts';
import { bin, DAEMONTOOLS_SKIP_REASON, HAVE_DAEMONTOOLS, Sandbox } from '../helpers/sandbox.ts';

function run(cmd: string, args: string[], cwd: string, asNobody = false) {
  const r = asNobody
    ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', cmd, ...args], { cwd, encoding: 'utf8' })
    : spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

describe('svc option parsing', () => {
  it('keeps each command once, in order of first appearance', () => {
    expect(commandBytes(['d', 'u', 'd', 'x', 'u'])).toBe('dux');
  });
  it('parses like djb getopt: clusters, --, first operand ends options', () => {
    expect(getopt(['-du', '-x', 'a', '-k'], 'udxk')).toEqual({ ok: true, options: ['d', 'u', 'x'], values: {}, operands: ['a', '-k'] });
    expect(getopt(['--', '-d'], 'd')).toEqual({ ok: true, options: [], values: {}, operands: ['-d'] });
    expect(getopt(['-', 'a'], 'd')).toEqual({ ok: true, options: [], values: {}, operands: ['-', 'a'] });
    expect(getopt(['-dz'], 'd')).toEqual({ ok: false, bad: 'z' });
    expect(getopt(['-dT', '500', '-uT9', 'a'], 'du', 'T')).toEqual({ ok: true, options: ['d', 'u'], values: { T: '9' }, operands: ['a'] });
    expect(getopt(['-dT'], 'd', 'T')).toEqual({ ok: false, bad: 'T' });
  });
});

describe('svc and svok', () => {
  let sb: Sandbox;
  const held: number[] = [];
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => { for (const fd of held.splice(0)) closeSync(fd); sb.cleanup(); });

  /** A directory with a control fifo we read ourselves, standing in for a running supervise. */
  async function fakeSupervise(name: string): Promise<number> {
    mkdirSync(sb.path(name, 'supervise'), { recursive: true });
    await makeFifo(sb.path(name, 'supervise/control'));
    await makeFifo(sb.path(name, 'supervise/ok'));
    held.push(openSync(sb.path(name, 'supervise/ok'), constants.O_RDONLY | constants.O_NONBLOCK));
    const fd = openSync(sb.path(name, 'supervise/control'), constants.O_RDONLY | constants.O_NONBLOCK);
    held.push(fd);
    return fd;
  }
  function drain(fd: number): string {
    const buf = Buffer.alloc(4096);
    try { return buf.subarray(0, readSync(fd, buf)).toString('latin1'); } catch { return ''; }
  }

  it('writes the command bytes in order, deduplicated, to each directory', async () => {
    const a = await fakeSupervise('a');
    const b = await fakeSupervise('b');
    expect(run(bin('svc'), ['-dux', '-d', '-12', 'a', 'b'], sb.root)).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(drain(a)).toBe('dux12');
    expect(drain(b)).toBe('dux12');
  });

  it('svok: 0 when supervise runs, 100 when not or never, 111 when the directory cannot be entered', async () => {
    await fakeSupervise('a');
    mkdirSync(sb.path('never'));
    writeFileSync(sb.path('file'), '');
    expect(run(bin('svok'), ['a'], sb.root).code).toBe(0);
    expect(run(bin('svok'), ['never'], sb.root).code).toBe(100);
    expect(run(bin('svok'), ['file'], sb.root)).toEqual({ stdout: '', stderr: 'svok: fatal: unable to chdir to file: not a directory\n', code: 111 });
    expect(run(bin('svok'), [], sb.root)).toEqual({ stdout: '', stderr: 'svok: usage: svok dir\n', code: 100 });
  });

  describe.skipIf(!HAVE_DAEMONTOOLS)('matches daemontools byte for byte', () => {
    it.each([
      [['-z', 'a']], [['-uz', 'a']], [['-u', 'never']], [['-u', 'file', 'missing']], [['-u']], [[]], [['-d', '--', 'never']],
    ])('svc %j', async (args) => {
      mkdirSync(sb.path('never'));
      writeFileSync(sb.path('file'), '');
      expect(run(bin('svc'), args, sb.root)).toEqual(run('svc', args, sb.root));
    });

    it.each([[['never']], [['file']], [['missing']], [[]]])('svok %j', async (args) => {
      mkdirSync(sb.path('never'));
      writeFileSync(sb.path('file'), '');
      expect(run(bin('svok'), args, sb.root)).toEqual(run('svok', args, sb.root));
    });

    it('says "supervise not running" when the control fifo has no reader', async () => {
      mkdirSync(sb.path('dead/supervise'), { recursive: true });
      await makeFifo(sb.path('dead/supervise/control'));
      await makeFifo(sb.path('dead/supervise/ok'));
      const ours = run(bin('svc'), ['-u', 'dead'], sb.root);
      expect(ours.stderr).toBe('svc: warning: unable to control dead: supervise not running\n');
      expect(ours).toEqual(run('svc', ['-u', 'dead'], sb.root));
      expect(run(bin('svok'), ['dead'], sb.root).code).toBe(100);
    });

    it('tells a non-owner "access denied", as daemontools', async () => {
      await fakeSupervise('a');
      chmodSync(sb.root, 0o755);
      chmodSync(sb.path('a'), 0o755);
      chmodSync(sb.path('a/supervise'), 0o700);
      const ours = run(bin('svc'), ['-u', 'a'], sb.root, true);
      expect(ours).toEqual({ stdout: '', stderr: 'svc: warning: unable to control a: access denied\n', code: 0 });
      expect(ours).toEqual(run('svc', ['-u', 'a'], sb.root, true));
      const ok = run(bin('svok'), ['a'], sb.root, true);
      expect(ok).toEqual({ stdout: '', stderr: 'svok: fatal: unable to open a/supervise/ok: access denied\n', code: 111 });
      expect(ok).toEqual(run('svok', ['a'], sb.root, true));
    });
  });
});

if (!HAVE_DAEMONTOOLS) console.warn(DAEMONTOOLS_SKIP_REASON);
