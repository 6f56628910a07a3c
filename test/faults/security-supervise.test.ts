// Security of what svscan does as root in S/supervise/ (doc/security.md): modes of supervise/ and its
// fifos fixed when found loose, and no symlink or hard link planted there ever written through,
// opened or held. Run as root, on real files, with svscan's own binary.
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, sh, statusPid, upPid, waitFor } from '../helpers/sandbox.ts';
import { SLEEPER, startSvscan } from '../svscan/helpers.ts';

const IS_ROOT = process.geteuid?.() === 0;
const NOBODY = 65534;

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

const openFiles = (pid: number) => readdirSync(`/proc/${pid}/fd`).map((fd) => {
  try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; }
});
const modeOf = (path: string) => lstatSync(path).mode & 0o7777;

function mkfifo(path: string, mode: number, uid = 0): void {
  expect(sh('mkfifo', ['-m', mode.toString(8), path]).code).toBe(0);
  chownSync(path, uid, uid === 0 ? 0 : NOBODY);
}

describe.skipIf(!IS_ROOT)('S/supervise/ as root', () => {
  it('an existing supervise/ (0777, another owner) is made 0700 and its fifos 0600, owned by root, with a warning naming each', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', SLEEPER);
    mkdirSync(join(dir, 'log'));
    writeFileSync(join(dir, 'log/run'), '#!/bin/sh\nexec cat >/dev/null\n', { mode: 0o755 });
    for (const sup of [join(dir, 'supervise'), join(dir, 'log/supervise')]) {
      mkdirSync(sup);
      chmodSync(sup, 0o777); // an operator's chmod 777, after the umask
      chownSync(sup, NOBODY, NOBODY);
      mkfifo(join(sup, 'control'), 0o666, NOBODY);
      mkfifo(join(sup, 'ok'), 0o622);
    }
    mkfifo(join(dir, 'supervise/log.fifo'), 0o666, NOBODY);
    const svscan = startSvscan(sb, scan);
    await upPid(dir);
    await upPid(join(dir, 'log'));
    for (const sup of [join(dir, 'supervise'), join(dir, 'log/supervise')]) {
      await waitFor(`${sup} tightened`, () => modeOf(sup) === 0o700 && statSync(sup).uid === 0);
      for (const fifo of ['control', 'ok']) {
        expect(modeOf(join(sup, fifo))).toBe(0o600);
        expect(statSync(join(sup, fifo)).uid).toBe(0);
      }
      await waitFor(`the warning for ${sup}`, () => svscan.output().includes(`${sup} was mode 0777, owner uid ${NOBODY}: made 0700, owner uid 0`));
      expect(svscan.output()).toContain(`${join(sup, 'control')} was mode 0666, owner uid ${NOBODY}: made 0600, owner uid 0`);
      expect(svscan.output()).toContain(`${join(sup, 'ok')} was mode 0622, owner uid 0: made 0600, owner uid 0`);
    }
    expect(modeOf(join(dir, 'supervise/log.fifo'))).toBe(0o600);
    expect(statSync(join(dir, 'supervise/log.fifo')).uid).toBe(0);
    // Still supervised as before: svc works, the service restarts.
    const pid = statusPid(dir);
    expect(sh('svc', ['-t', dir]).code).toBe(0);
    await waitFor('a restart', () => statusPid(dir) !== pid && statusPid(dir) !== 0);
  });

  it('a supervise/ already 0700 with 0600 fifos, as daemontools makes them, is left alone and nothing is said', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', SLEEPER);
    const sup = join(dir, 'supervise');
    mkdirSync(sup, { mode: 0o700 });
    mkfifo(join(sup, 'control'), 0o600);
    mkfifo(join(sup, 'ok'), 0o600);
    const svscan = startSvscan(sb, scan);
    await upPid(dir);
    expect(modeOf(sup)).toBe(0o700);
    expect(svscan.output()).not.toContain(' was mode ');
  });

  it('status.new and status.json.new planted as symlinks or hard links are replaced, never written through', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', SLEEPER);
    const sup = join(dir, 'supervise');
    mkdirSync(sup, { mode: 0o700 });
    const victim = sb.path('victim');
    writeFileSync(victim, 'precious\n');
    const absent = sb.path('created-by-root');
    symlinkSync(victim, join(sup, 'status.new'));
    symlinkSync(absent, join(sup, 'status.json.new'));
    const svscan = startSvscan(sb, scan);
    const pid = await upPid(dir);
    await waitFor('status.json', () => existsSync(join(sup, 'status.json')));
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(absent)).toBe(false);
    expect(lstatSync(join(sup, 'status')).isFile()).toBe(true);
    expect(statSync(join(sup, 'status')).size).toBe(18);
    expect(JSON.parse(readFileSync(join(sup, 'status.json'), 'utf8'))).toMatchObject({ pid });

    // A hard link to the victim (same file system), planted while svscan runs, before the next write.
    linkSync(victim, join(sup, 'status.new'));
    linkSync(victim, join(sup, 'status.json.new'));
    expect(sh('svc', ['-t', dir]).code).toBe(0);
    await waitFor('a restart recorded', () => statusPid(dir) !== pid && statusPid(dir) !== 0);
    await waitFor('status.json of the restart', () => JSON.parse(readFileSync(join(sup, 'status.json'), 'utf8')).pid === statusPid(dir));
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(svscan.output()).not.toContain('unable to write');
  });

  it('a lock planted as a symlink is refused with its path, and its target is never created', async () => {
    const scan = sb.path('scan');
    const dir = sb.service('scan/s', '#!/bin/sh\necho started >> ran\nexec sleep 100000\n');
    const sup = join(dir, 'supervise');
    mkdirSync(sup, { mode: 0o700 });
    const target = sb.path('nologin'); // think /etc/nologin: its mere existence locks users out
    symlinkSync(target, join(sup, 'lock'));
    const svscan = startSvscan(sb, scan);
    await waitFor('the refusal', () => svscan.output().includes(`unable to acquire ${dir}/supervise/lock: it is a symbolic link, which supervise never follows: remove it`));
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('control or log.fifo planted as a symlink to another fifo is not opened: no command or output reaches that fifo', async () => {
    const scan = sb.path('scan');
    const other = sb.path('other-fifo');
    mkfifo(other, 0o600);
    const a = sb.service('scan/a', SLEEPER);
    mkdirSync(join(a, 'supervise'), { mode: 0o700 });
    symlinkSync(other, join(a, 'supervise/control'));
    const b = sb.service('scan/b', '#!/bin/sh\necho secret line\nexec sleep 100000\n');
    mkdirSync(join(b, 'log'));
    writeFileSync(join(b, 'log/run'), '#!/bin/sh\nexec cat > ../logged\n', { mode: 0o755 });
    mkdirSync(join(b, 'supervise'), { mode: 0o700 });
    symlinkSync(other, join(b, 'supervise/log.fifo'));
    const svscan = startSvscan(sb, scan);
    await waitFor('the refusal of control', () => svscan.output().includes(`unable to acquire ${a}/supervise/control: it is a symbolic link, which supervise never follows: remove it`));
    await waitFor('the refusal of log.fifo', () => svscan.output().includes(`unable to create the log pipe ${b}/supervise/log.fifo: symbolic link loop`));
    // Neither svscan nor b's ./run (which runs on, without its logger) has the other fifo open.
    const bPid = await upPid(b);
    for (const pid of [svscan.pid!, bPid]) expect(openFiles(pid)).not.toContain(other);
    expect(statusPid(a)).toBe(0);
  });
});
