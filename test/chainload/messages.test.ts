// Differential: every usage line, fatal message and exit code an operator meets, ours against
// daemontools' own binaries (/usr/bin/..., never shadowed on PATH), byte for byte.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, waitFor } from '../helpers/sandbox.ts';
import { both, CHAINLOADERS_SKIP_REASON, HAVE_CHAINLOADERS } from './helpers.ts';

describe.skipIf(!HAVE_CHAINLOADERS)('chain-loaders: messages and exit codes match daemontools', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
    chmodSync(sb.root, 0o755); // reachable by nobody
    writeFileSync(sb.path('noexec'), 'true\n');
    mkdirSync(sb.path('adir'));
    mkdirSync(sb.path('env'));
    writeFileSync(sb.path('env/A'), 'a\n');
    writeFileSync(sb.path('lock'), '');
  });
  afterEach(() => sb.cleanup());

  const child = [['./missing'], ['./noexec'], ['./adir'], ['nosuchcommand'], ['sh', '-c', 'echo out; echo err >&2; exit 7']];
  const cases: [string, string[][]][] = [
    ['setuidgid', [[], ['nobody'], ['nosuch', 'true'], ['65534', 'true'], ['', 'true'], ...child.map((c) => ['nobody', ...c])]],
    ['envuidgid', [[], ['nobody'], ['nosuch', 'true'], ['65534', 'true'], ...child.map((c) => ['nobody', ...c]), ['nobody', 'sh', '-c', 'echo $UID $GID']]],
    ['envdir', [[], ['env'], ['missing', 'true'], ['noexec', 'true'], ...child.map((c) => ['env', ...c])]],
    ['softlimit', [[], ['-o'], ['-z', 'true'], ['-o', '12x', 'true'], ['-o', '-1', 'true'], ['-o', '5', '-q', 'true'], ['-o', '50'], ...child.map((c) => ['-o', '50', ...c]), ...child.map((c) => c)]],
    ['setlock', [[], ['lock'], ['-z', 'lock', 'true'], ['-n'], ['/nonexistent/lock', 'true'], ['-x', '/nonexistent/lock', 'true'], ['adir', 'true'], ['-x', 'adir', 'true'],
      ['-', 'lock'], ['--', 'lock', 'true'], ...child.map((c) => ['lock', ...c]), ['-x', 'lock', 'nosuchcommand'], ['-nxXN', 'lock', 'true']]],
    ['pgrphack', [[], ...child]],
    ['fghack', [[], ...child, ['sh', '-c', 'exit 200'], ['sh', '-c', 'kill -9 $$'], ['sh', '-c', 'kill -SEGV $$']]],
  ];
  for (const [name, argLists] of cases) {
    it.each(argLists.map((a) => [a]))(`${name} %j`, (args) => {
      const { ours, theirs } = both(name, args, sb.root);
      expect(ours).toEqual(theirs);
    });
  }

  it('as a user other than root: setuidgid cannot setgid; envdir cannot enter or read', () => {
    mkdirSync(sb.path('closed'));
    chmodSync(sb.path('closed'), 0o000);
    mkdirSync(sb.path('unlisted'));
    chmodSync(sb.path('unlisted'), 0o311);
    writeFileSync(sb.path('env/SECRET'), 'x\n');
    chmodSync(sb.path('env/SECRET'), 0o600);
    for (const [name, args] of [['setuidgid', ['root', 'id']], ['setuidgid', ['nobody', 'id']], ['envdir', ['closed', 'true']], ['envdir', ['unlisted', 'true']], ['envdir', ['env', 'true']]] as const) {
      const { ours, theirs } = both(name, [...args], sb.root, { asNobody: true });
      expect(ours, `${name} ${args.join(' ')}`).toEqual(theirs);
      expect(ours.code).toBe(111);
    }
  });

  it('a busy lock: -n fails with "temporary failure" (111), -x makes it exit 0 quietly, -X undoes -x', async () => {
    const holder = sb.spawn('flock', [sb.path('lock'), 'sleep', '60']);
    await waitFor('the lock held', () => both('setlock', ['-n', 'lock', 'true'], sb.root).ours.code === 111);
    for (const args of [['-n', 'lock', 'true'], ['-nx', 'lock', 'true'], ['-n', '-x', '-X', 'lock', 'true']]) {
      const { ours, theirs } = both('setlock', args, sb.root);
      expect(ours, args.join(' ')).toEqual(theirs);
    }
    expect(both('setlock', ['-n', 'lock', 'true'], sb.root).ours).toEqual({ stdout: '', stderr: `setlock: fatal: unable to lock lock: temporary failure\n`, code: 111 });
    expect(both('setlock', ['-nx', 'lock', 'true'], sb.root).ours).toEqual({ stdout: '', stderr: '', code: 0 });
    process.kill(-holder.pid!, 'SIGKILL'); // flock(1) and its child, which shares the lock
  });
});

describe.skipIf(HAVE_CHAINLOADERS)('chain-loaders: messages', () => {
  it.skip(CHAINLOADERS_SKIP_REASON, () => {});
});
