// What each chain-loader does to its child, compared with daemontools' where both can run: the pid
// kept (exec in place), uid/gid/groups, the environment envdir makes, the limits softlimit sets,
// the lock setlock hands down, pgrphack's session, fghack's wait for a backgrounded daemon.
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, isAlive, Sandbox, waitFor } from '../helpers/sandbox.ts';
import { both, CHAINLOADERS_SKIP_REASON, HAVE_CHAINLOADERS, run } from './helpers.ts';

const ECHO_PID = ['sh', '-c', 'echo $$'];

describe.skipIf(!HAVE_CHAINLOADERS)('chain-loaders: effects on the child, against daemontools', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
    mkdirSync(sb.path('env'));
  });
  afterEach(() => sb.cleanup());

  it.each([
    ['setuidgid', ['nobody']], ['envuidgid', ['nobody']], ['envdir', ['env']], ['softlimit', ['-m', '500000000', '-o', '100']],
    ['softlimit', []], ['setlock', ['lock']], ['setlock', ['-n', 'lock']], ['pgrphack', []],
  ])('%s %j execs its child in place (same pid)', (name, args) => {
    const r = run(bin(name), [...args, ...ECHO_PID], sb.root);
    expect(r.stderr).toBe('');
    expect(Number(r.stdout)).toBe(r.pid);
  });

  it('setuidgid: uid, gid (real, effective, saved) and one supplementary group, the account\'s gid', () => {
    const probe = ['sh', '-c', 'id -u; id -g; id -G; grep -E "^(Uid|Gid|Groups):" /proc/self/status'];
    const { ours, theirs } = both('setuidgid', ['nobody', ...probe], sb.root, { groups: '0,1,2,3' });
    expect(ours).toEqual(theirs);
    expect(ours.stdout).toContain('Uid:\t65534\t65534\t65534\t65534\n');
    expect(ours.stdout).toMatch(/^65534\n65534\n65534\n/);
  });

  it('envuidgid: UID and GID, the rest of the environment as it was', () => {
    const probe = ['sh', '-c', 'echo "$UID $GID $KEEP"; id -u'];
    const { ours, theirs } = both('envuidgid', ['nobody', ...probe], sb.root, { env: { UID: '5', KEEP: 'k' } });
    expect(ours).toEqual(theirs);
    expect(ours.stdout).toBe('65534 65534 k\n0\n');
  });

  it('envdir: first line, trailing blanks cut, NUL to newline, empty file removes, dot files skipped, any name', () => {
    const files: [string, string | Buffer][] = [
      ['A', 'v1\nline2\n'], ['B', 'sp  \t \n'], ['C', ''], ['D', Buffer.from('x\0y\0\n')], ['NL', '\n'], ['L', '  lead'],
      ['CR', 'a\rb'], ['Q', "it's"], ['S', '$(echo hi)`x`\\'], ['.HIDDEN', 'h'], ['my-var', 'dash'], ['E=F', 'v'], ['*', 'star'],
      ['PATH', '/usr/bin:/bin\n'], ['KEEP', 'new'],
      // Names of the script's own variables (bin/envdir): they must not derail it.
      ['cl_dir', ''], ['cl_full', ''], ['cl_f', ''], ['cl_awk', 'mine'], ['cl_env', ''],
    ];
    for (const [name, content] of files) writeFileSync(sb.path('env', name), content);
    const dump = ['env', '-0'];
    const { ours, theirs } = both('envdir', ['env', ...dump], sb.root, { env: { C: 'removed', KEEP: 'old', OTHER: 'o', cl_dir: 'd', cl_full: 'f' } });
    const vars = (out: string) => out.split('\0').filter(Boolean).sort();
    expect(ours.stderr).toBe(theirs.stderr);
    expect(ours.code).toBe(0);
    expect(vars(ours.stdout)).toEqual(vars(theirs.stdout));
    const got = new Map(vars(ours.stdout).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    expect(got.get('A')).toBe('v1');
    expect(got.get('B')).toBe('sp');
    expect(got.has('C')).toBe(false);
    expect(got.get('D')).toBe('x\ny\n');
    expect(got.get('NL')).toBe('');
    expect(got.get('S')).toBe('$(echo hi)`x`\\');
    expect(got.get('my-var')).toBe('dash');
    expect(got.get('E')).toBe('F=v');
    expect(got.has('.HIDDEN')).toBe(false);
    expect(got.get('KEEP')).toBe('new');
    expect(got.get('OTHER')).toBe('o');
    expect(got.has('cl_dir') || got.has('cl_full')).toBe(false);
    expect(got.get('cl_awk')).toBe('mine');
  });

  it('envdir: a file it cannot read (a directory) is fatal', () => {
    mkdirSync(sb.path('env', 'SUB'));
    const { ours, theirs } = both('envdir', ['env', 'true'], sb.root);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual({ stdout: '', stderr: 'envdir: fatal: unable to read env/SUB: is a directory\n', code: 111 });
  });

  it.each([
    [['-m', '500000000']], [['-a', '1000000000', '-c', '0', '-d', '123456789', '-f', '99999', '-l', '4097', '-s', '8000001']],
    [['-o', '64', '-p', '500', '-r', '1000000', '-t', '30']], [['-o', '=']], [['-o', '999999999']], [['-m', '=', '-c', '7']],
    [['-d', '100000000', '-m', '200000000', '-s', '50000000']], [['-o', '18446744073709551615']], [['-c', '']], [['-o50']],
  ])('softlimit %j: the child\'s /proc/self/limits as daemontools leaves them', (opts) => {
    const { ours, theirs } = both('softlimit', [...opts, 'cat', '/proc/self/limits'], sb.root);
    expect(ours.stderr).toBe('');
    expect(ours).toEqual(theirs);
  });

  it('setlock: the child holds the lock on an inherited descriptor (the lowest free, 3); released when it exits', async () => {
    const child = sb.spawn(bin('setlock'), ['lock', 'sh', '-c', 'readlink /proc/$$/fd/3; exec sleep 60']);
    await waitFor('the child started', () => child.output().includes('\n'));
    expect(child.output()).toBe(`${sb.path('lock')}\n`);
    expect(run('flock', ['-n', 'lock', 'true'], sb.root).code).toBe(1);
    expect(run(bin('setlock'), ['-n', 'lock', 'true'], sb.root).code).toBe(111);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(run('flock', ['-n', 'lock', 'true'], sb.root).code).toBe(0);
  });

  it('setlock: with descriptor 3 taken, the lock goes on 4 and 3 is left alone', () => {
    const probe = `exec 3</dev/null; exec "$0" lock sh -c 'readlink /proc/$$/fd/3 /proc/$$/fd/4'`;
    const a = run('sh', ['-c', probe, bin('setlock')], sb.root);
    const b = run('sh', ['-c', probe, '/usr/bin/setlock'], sb.root);
    expect(a).toMatchObject({ stdout: `/dev/null\n${sb.path('lock')}\n`, stderr: '', code: 0 });
    expect(b).toMatchObject({ stdout: a.stdout, stderr: '', code: 0 });
  });

  it('setlock without -n waits for the lock', async () => {
    const holder = sb.spawn('flock', ['lock', 'sh', '-c', 'echo held; exec sleep 60']);
    await waitFor('the lock held', () => holder.output() === 'held\n');
    const waiter = sb.spawn(bin('setlock'), ['lock', 'sh', '-c', 'echo got']);
    await new Promise((r) => setTimeout(r, 300));
    expect(waiter.exitCode).toBe(null);
    process.kill(-holder.pid!, 'SIGKILL'); // flock(1) and its child, which shares the lock
    const [code] = await once(waiter, 'exit');
    expect(code).toBe(0);
    expect(waiter.output()).toBe('got\n');
  });

  it('pgrphack: a new session when not a group leader; as a session leader (./run under supervise) the same pid, untouched', async () => {
    const probe = ['sh', '-c', 'set -- $(ps -o pgid=,sid= -p $$); echo "$$ $1 $2"'];
    // Not a group leader: spawnSync leaves the child in the test's group; setsid(2) works.
    const plain = both('pgrphack', probe, sb.root);
    expect(plain.ours.code).toBe(0);
    const [pid, pgid, sid] = plain.ours.stdout.trim().split(' ');
    expect([pgid, sid]).toEqual([pid, pid]);
    // A session leader: setsid(2) fails and daemontools' pgrphack runs the child as it is; setsid(1)
    // would fork. Both keep the pid supervise knows.
    for (const impl of [bin('pgrphack'), '/usr/bin/pgrphack']) {
      const leader = sb.spawn(impl, probe);
      const [code] = await once(leader, 'exit');
      expect(code, impl).toBe(0);
      expect(leader.output(), impl).toBe(`${leader.pid} ${leader.pid} ${leader.pid}\n`);
    }
  });

  it('fghack: waits until a daemon that backgrounded itself exits, with the child\'s exit code, stdin passed on', async () => {
    for (const impl of [bin('fghack'), '/usr/bin/fghack']) {
      const gate = sb.path(`go-${impl.length}`);
      const daemon = `(while [ ! -e ${gate} ]; do sleep 0.05; done; echo daemon done) & read line; echo "started $line"; exit 3`;
      const fg = sb.spawn(impl, ['sh', '-c', daemon]);
      fg.stdin?.end();
      await waitFor(`${impl} child started`, () => fg.output().startsWith('started'));
      await new Promise((r) => setTimeout(r, 300));
      expect(isAlive(fg.pid!), impl).toBe(true);
      writeFileSync(gate, '');
      const [code] = await once(fg, 'exit');
      expect(code, impl).toBe(3);
      expect(fg.output(), impl).toBe('started \ndaemon done\n');
    }
  });

  it('bin/chainload.sh is found through a symlink to a script (npm install -g links bin/NAME)', () => {
    const link = sb.path('setuidgid');
    run('ln', ['-s', bin('setuidgid'), link], sb.root);
    expect(existsSync(link) && readlinkSync(link)).toBe(bin('setuidgid'));
    chmodSync(sb.root, 0o755);
    expect(run(link, ['nobody', 'id', '-u'], sb.root)).toMatchObject({ stdout: '65534\n', stderr: '', code: 0 });
  });
});

describe.skipIf(HAVE_CHAINLOADERS)('chain-loaders: effects', () => {
  it.skip(CHAINLOADERS_SKIP_REASON, () => {});
});
