import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, constants, writeFileSync, symlinkSync, chmodSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFifo } from '../../src/protocol/fifo.ts';
import { encodeStatus, type Want } from '../../src/protocol/status.ts';
import { formatStatus } from '../../src/svstat/line.ts';
import { bin, DAEMONTOOLS_SKIP_REASON, HAVE_DAEMONTOOLS, Sandbox } from '../helpers/sandbox.ts';

function run(cmd: string, args: string[], cwd: string): { out: string; code: number } {
  try {
    return { out: execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), code: 0 };
  } catch (e) {
    const err = e as { stdout: string; status: number };
    return { out: err.stdout, code: err.status };
  }
}

describe('formatStatus', () => {
  const since = { seconds: 1000, nanoseconds: 999_999_999 };
  it('prints the fields in daemontools order', () => {
    expect(formatStatus({ since, pid: 42, paused: true, want: 'down' }, false, 1061)).toBe('up (pid 42) 61 seconds, normally down, paused, want down');
    expect(formatStatus({ since, pid: 0, paused: true, want: 'up' }, true, 1000)).toBe('down 0 seconds, normally up, want up');
    expect(formatStatus({ since, pid: 0, paused: false, want: 'once' }, false, 1001)).toBe('down 1 seconds');
  });
  it('never prints a negative age', () => {
    expect(formatStatus({ since, pid: 7, paused: false, want: 'up' }, true, 10)).toBe('up (pid 7) 0 seconds');
  });
});

describe.skipIf(!HAVE_DAEMONTOOLS)('svstat against daemontools svstat', () => {
  let sb: Sandbox;
  const held: number[] = [];
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => { for (const fd of held.splice(0)) closeSync(fd); sb.cleanup(); });

  /** A service directory whose supervise "runs" (we hold its ok fifo open) with the given status bytes. */
  async function fakeService(name: string, status: Buffer | undefined, opts: { down?: boolean; running?: boolean } = {}): Promise<string> {
    const dir = sb.path(name);
    mkdirSync(`${dir}/supervise`, { recursive: true });
    await makeFifo(`${dir}/supervise/ok`);
    if (opts.running !== false) held.push(openSync(`${dir}/supervise/ok`, constants.O_RDONLY | constants.O_NONBLOCK));
    if (status) writeFileSync(`${dir}/supervise/status`, status);
    if (opts.down) writeFileSync(`${dir}/down`, '');
    return name;
  }

  it('prints byte for byte the same lines for every status combination', async () => {
    const names: string[] = [];
    const nowS = Math.floor(Date.now() / 1000);
    let n = 0;
    for (const pid of [0, 1, 31337, 0x7fffffff])
      for (const paused of [false, true])
        for (const want of ['up', 'down', 'once'] as Want[])
          for (const down of [false, true])
            for (const age of [-100, 0, 1, 59, 3600, 86_400 * 400]) {
              const status = encodeStatus({ since: { seconds: nowS - age, nanoseconds: 500_000_000 }, pid, paused, want });
              // encodeStatus clears paused while down; daemontools' svstat only shows it while up anyway.
              names.push(await fakeService(`s${n++}`, status, { down }));
            }
    const odd = Buffer.from(encodeStatus({ since: { seconds: nowS, nanoseconds: 0 }, pid: 5, paused: true, want: 'up' }));
    odd[16] = 7; // a non-0/1 paused byte
    odd[17] = 0x78; // a want byte that is neither u nor d
    names.push(await fakeService('odd', odd));
    names.push(await fakeService('long', Buffer.concat([odd, Buffer.from('trailing garbage')])));
    names.push(await fakeService('short17', Buffer.alloc(17)));
    names.push(await fakeService('empty', Buffer.alloc(0)));
    names.push(await fakeService('nostatus', undefined));
    names.push(await fakeService('notrunning', encodeStatus({ since: { seconds: nowS, nanoseconds: 0 }, pid: 9, paused: false, want: 'up' }), { running: false }));
    mkdirSync(sb.path('never'));
    writeFileSync(sb.path('plainfile'), '');
    symlinkSync('loop', sb.path('loop'));
    names.push('never', 'plainfile', 'missing', 'loop', `${sb.root}/s0`, './s1/');

    // Ages are whole seconds of "now": retry if the two runs straddle a second boundary.
    let ours = '', theirs = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      theirs = run('svstat', names, sb.root).out;
      ours = run(bin('svstat'), names, sb.root).out;
      if (ours === theirs) break;
    }
    expect(ours.split('\n').length).toBe(names.length + 1);
    expect(ours).toBe(theirs);
  });

  it('says "unable to open supervise/ok: access denied" to a non-owner, as daemontools', async () => {
    const name = await fakeService('private', encodeStatus({ since: { seconds: 1, nanoseconds: 0 }, pid: 0, paused: false, want: 'up' }));
    chmodSync(sb.root, 0o755);
    chmodSync(sb.path(name), 0o755);
    chmodSync(sb.path(name, 'supervise'), 0o700);
    const asNobody = (cmd: string) => run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', cmd, name], sb.root);
    const ours = asNobody(bin('svstat'));
    expect(ours.out).toBe(`${name}: unable to open supervise/ok: access denied\n`);
    expect(ours).toEqual(asNobody('svstat'));
  });

  it('reports a status that cannot be read instead of daemontools\' bogus age', async () => {
    // daemontools compares read()'s -1 as unsigned and prints "down 4611686020222694400 seconds".
    const name = await fakeService('statusdir', undefined);
    mkdirSync(sb.path(name, 'supervise/status'));
    expect(run(bin('svstat'), [name], sb.root).out).toBe(`${name}: unable to read supervise/status: is a directory\n`);
  });

  it('still takes every argument as a directory unless one is an svtools monitoring option', async () => {
    // daemontools' svstat has no options: `-x`, `-`, `--jsonx` and `--` are directories to it, and
    // so is `--json` after a `--`. svtools parses options only when it sees one of its own.
    const name = await fakeService('svc', encodeStatus({ since: { seconds: Math.floor(Date.now() / 1000), nanoseconds: 0 }, pid: 0, paused: false, want: 'up' }));
    for (const args of [['-x', name], ['-', '--jsonx', name], ['--', '--json', name], ['-h', name]]) {
      // Ages are compared elsewhere; here only which arguments are directories (a loaded machine
      // can put every pair of runs across a second boundary).
      const ageless = (out: string) => out.replace(/ \d+ seconds/g, ' N seconds');
      expect(ageless(run(bin('svstat'), args, sb.root).out), JSON.stringify(args)).toBe(ageless(run('svstat', args, sb.root).out));
    }
    expect(run(bin('svstat'), ['-o', 'up', name], sb.root)).toEqual({ out: '0\n', code: 0 });
    expect(run(bin('svstat'), ['--check=soon', name], sb.root).code).toBe(100); // ours, misused
  });

  it('prints nothing and exits 0 without arguments', () => {
    expect(run(bin('svstat'), [], sb.root)).toEqual({ out: '', code: 0 });
  });
});

if (!HAVE_DAEMONTOOLS) console.warn(DAEMONTOOLS_SKIP_REASON);
