import { chmodSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, unlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, DAEMONTOOLS_SKIP_REASON, HAVE_DAEMONTOOLS, isAlive, processState, Sandbox, sh, statusPid, upPid, waitFor } from '../helpers/sandbox.ts';
import { decodeStatus } from '../../src/protocol/status.ts';
import { readProcStat } from '../../src/supervise/proc-stat.ts';

const OURS = { supervise: bin('supervise'), svc: bin('svc'), svstat: bin('svstat'), svok: bin('svok') };
const THEIRS = { supervise: 'supervise', svc: 'svc', svstat: 'svstat', svok: 'svok' };
type Tools = typeof OURS;

const SLEEPER = '#!/bin/sh\necho $$ > pid\nexec sleep 1000\n';
const SIGNAL_RECORDER = `#!/bin/sh
for s in HUP ALRM INT TERM USR1 USR2; do trap "echo $s >> signals" $s; done
echo $$ > pid
while :; do sleep 0.05; done
`;


function status(dir: string) {
  return decodeStatus(readFileSync(`${dir}/supervise/status`));
}

function svok(tools: Tools, dir: string): boolean {
  return sh(tools.svok, [dir]).code === 0;
}

describe('supervise', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());

  async function supervise(dir: string, tools: Tools = OURS) {
    const child = sb.spawn(tools.supervise, [dir]);
    await waitFor(`${tools.supervise} to take charge of ${dir}`, () => svok(OURS, dir));
    return child;
  }

  it('lays out supervise/ exactly as daemontools and starts ./run in its own session', async () => {
    const dir = sb.service('s', '#!/bin/sh\necho "out $$"\necho "err" >&2\necho $$ > pid\nexec sleep 1000\n');
    const sup = await supervise(dir);
    const pid = await upPid(dir);
    await waitFor('run to record its pid', () => existsSync(`${dir}/pid`) && readFileSync(`${dir}/pid`, 'utf8').trim() === String(pid));
    const mode = (p: string) => statSync(`${dir}/supervise/${p}`).mode & 0o7777;
    expect(mode('')).toBe(0o700);
    expect(mode('lock')).toBe(0o600);
    expect(statSync(`${dir}/supervise/control`).isFIFO()).toBe(true);
    expect(mode('control')).toBe(0o600);
    expect(statSync(`${dir}/supervise/ok`).isFIFO()).toBe(true);
    expect(mode('ok')).toBe(0o600);
    expect(mode('status')).toBe(0o644);
    expect(statSync(`${dir}/supervise/status`).size).toBe(18);
    // daemontools' four, plus svtools' extended status beside them.
    expect(readdirSync(`${dir}/supervise`).sort()).toEqual(['control', 'lock', 'ok', 'status', 'status.json']);
    // Its own session and process group, the service directory as cwd, supervise's stdout and stderr.
    expect(readProcStat(pid)).toMatchObject({ pgrp: pid, session: pid });
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(dir);
    await waitFor('run output through supervise', () => sup.output().includes(`out ${pid}`) && sup.output().includes('err'));
    expect(status(dir)).toMatchObject({ pid, paused: false, want: 'up' });
  });

  it('restarts ./run whenever it exits, never sooner than a second after the last start', async () => {
    const dir = sb.service('s', '#!/bin/sh\ndate +%s%N >> starts\nexit 3\n');
    await supervise(dir);
    const starts = await waitFor('three starts', () => {
      const lines = existsSync(`${dir}/starts`) ? readFileSync(`${dir}/starts`, 'utf8').trim().split('\n').map(Number) : [];
      return lines.length >= 3 ? lines : undefined;
    });
    for (let i = 1; i < starts.length; i++) expect((starts[i]! - starts[i - 1]!) / 1e6).toBeGreaterThanOrEqual(990);
  });

  it('never leaves a zombie', async () => {
    const dir = sb.service('s', '#!/bin/sh\ndate >> starts\nexit 0\n');
    const sup = await supervise(dir);
    const zombies = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      const stat = readProcStat(Number(p));
      return stat?.state === 'Z' && stat.ppid === sup.pid;
    });
    // Every child that exits is a zombie for an instant, until supervise reaps it; none may stay one.
    const seen = new Set<string>();
    await waitFor('three starts', () => {
      for (const z of zombies()) seen.add(z);
      return existsSync(`${dir}/starts`) && readFileSync(`${dir}/starts`, 'utf8').split('\n').length > 3;
    });
    for (const z of zombies()) seen.add(z);
    await waitFor('every zombie seen reaped', () => [...seen].every((z) => !existsSync(`/proc/${z}`)), 5000);
  });

  describe.each([
    ['our clients', OURS],
    ['daemontools clients', THEIRS],
  ])('driven by %s', (_name, tools) => {
    it.skipIf(tools === THEIRS && !HAVE_DAEMONTOOLS)('honours down, -u, -o, -d and -x', async () => {
      const dir = sb.service('s', SLEEPER, { down: true });
      const sup = await supervise(dir);
      expect(status(dir)).toMatchObject({ pid: 0, want: 'down' });
      expect(sh(tools.svstat, [dir]).stdout).toMatch(/: down \d+ seconds\n$/);
      sh(tools.svc, ['-o', dir]);
      const first = await upPid(dir);
      expect(status(dir)?.want).toBe('once');
      expect(sh(tools.svstat, [dir]).stdout).toMatch(new RegExp(`: up \\(pid ${first}\\) \\d+ seconds, normally down\\n$`));
      // Once: after it exits it stays down.
      sh(tools.svc, ['-k', dir]);
      await waitFor('down after -k with -o', () => status(dir)?.pid === 0);
      expect(isAlive(first)).toBe(false);
      sh(tools.svc, ['-u', dir]);
      const second = await upPid(dir);
      expect(status(dir)?.want).toBe('up');
      sh(tools.svc, ['-d', dir]);
      await waitFor('down after -d', () => status(dir)?.pid === 0);
      expect(isAlive(second)).toBe(false);
      expect(sh(tools.svstat, [dir]).stdout).toMatch(/: down \d+ seconds\n$/);
      sh(tools.svc, ['-x', dir]);
      await waitFor('supervise to exit after -x while down', () => sup.exitCode !== null);
      expect(sup.exitCode).toBe(0);
      expect(svok(tools, dir)).toBe(false);
    });

    it.skipIf(tools === THEIRS && !HAVE_DAEMONTOOLS)('forwards h a i t 1 2, pauses with p, continues with c', async () => {
      const dir = sb.service('s', SIGNAL_RECORDER);
      await supervise(dir);
      const pid = await upPid(dir);
      await waitFor('traps installed', () => existsSync(`${dir}/pid`));
      const letters: [string, string][] = tools === OURS
        ? [['h', 'HUP'], ['a', 'ALRM'], ['i', 'INT'], ['t', 'TERM'], ['1', 'USR1'], ['2', 'USR2']]
        : [['h', 'HUP'], ['a', 'ALRM'], ['i', 'INT'], ['t', 'TERM']];
      for (const [letter, name] of letters) {
        sh(tools.svc, [`-${letter}`, dir]);
        await waitFor(`${name} delivered`, () => existsSync(`${dir}/signals`) && readFileSync(`${dir}/signals`, 'utf8').includes(name));
      }
      sh(tools.svc, ['-p', dir]);
      await waitFor('stopped', () => processState(pid) === 'T');
      expect(status(dir)?.paused).toBe(true);
      expect(sh(tools.svstat, [dir]).stdout).toContain(', paused');
      sh(tools.svc, ['-c', dir]);
      await waitFor('continued', () => processState(pid) !== 'T');
      expect(status(dir)?.paused).toBe(false);
      expect(statusPid(dir)).toBe(pid);
    });
  });

  it('-d sends TERM then CONT, so a paused service goes down too', async () => {
    const dir = sb.service('s', SLEEPER);
    await supervise(dir);
    const pid = await upPid(dir);
    sh(OURS.svc, ['-p', dir]);
    await waitFor('stopped', () => processState(pid) === 'T');
    sh(OURS.svc, ['-d', dir]);
    await waitFor('down', () => status(dir)?.pid === 0);
    expect(isAlive(pid)).toBe(false);
    expect(status(dir)).toMatchObject({ pid: 0, paused: false, want: 'down' });
  });

  it('-k kills ./run and supervise starts a new one', async () => {
    const dir = sb.service('s', SLEEPER);
    await supervise(dir);
    const pid = await upPid(dir);
    sh(OURS.svc, ['-k', dir]);
    const next = await waitFor('a new pid', () => { const p = statusPid(dir); return p && p !== pid ? p : undefined; });
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(next)).toBe(true);
  });

  it('-x while up keeps supervising until the service is down, then exits', async () => {
    const dir = sb.service('s', SLEEPER);
    const sup = await supervise(dir);
    const pid = await upPid(dir);
    sh(OURS.svc, ['-x', dir]);
    sh(OURS.svc, ['-p', dir]);
    // Commands are handled in order: once the pause shows, -x has been handled and supervise stayed.
    await waitFor('paused after -x', () => status(dir)?.paused);
    expect(sup.exitCode).toBe(null);
    expect(svok(OURS, dir)).toBe(true);
    expect(isAlive(pid)).toBe(true);
    sh(OURS.svc, ['-d', dir]);
    await waitFor('supervise to exit once the service is down', () => sup.exitCode !== null);
    expect(sup.exitCode).toBe(0);
    expect(isAlive(pid)).toBe(false);
    expect(status(dir)?.pid).toBe(0);
  });

  it('leaves ./run running when supervise itself is killed', async () => {
    const dir = sb.service('s', SLEEPER);
    const sup = await supervise(dir);
    const pid = await upPid(dir);
    process.kill(sup.pid!, 'SIGKILL');
    await waitFor('supervise gone', () => sup.signalCode !== null);
    expect(isAlive(pid)).toBe(true);
    expect(sh(OURS.svok, [dir]).code).toBe(100);
    expect(sh(OURS.svstat, [dir]).stdout).toBe(`${dir}: supervise not running\n`);
    sb.track(pid);
  });

  it('retries a missing or non-executable ./run about once a second, and never exits', async () => {
    const dir = sb.service('s', SLEEPER);
    unlinkSync(`${dir}/run`);
    const sup = await supervise(dir);
    const message = `supervise: fatal: unable to start ${dir}/run: file does not exist\n`;
    await waitFor('two start attempts', () => sup.output().split(message).length > 2);
    expect(sup.exitCode).toBe(null);
    writeFileSync(`${dir}/run`, SLEEPER);
    chmodSync(`${dir}/run`, 0o644);
    await waitFor('access denied', () => sup.output().includes(`supervise: fatal: unable to start ${dir}/run: access denied\n`));
    chmodSync(`${dir}/run`, 0o755);
    await upPid(dir);
    expect(sup.exitCode).toBe(null);
  });

  it('ignores garbage in the control fifo and stays controllable', async () => {
    const dir = sb.service('s', SLEEPER);
    const sup = await supervise(dir);
    const pid = await upPid(dir);
    const commands = new Set('udopchaitkx12'.split('').map((c) => c.charCodeAt(0)));
    const garbage = Buffer.from([...randomBytes(20_000)].filter((b) => !commands.has(b)));
    const fd = openSync(`${dir}/supervise/control`, constants.O_WRONLY | constants.O_NONBLOCK);
    for (let off = 0; off < garbage.length;) off += writeSync(fd, garbage, off, Math.min(4096, garbage.length - off));
    closeSync(fd);
    sh(OURS.svc, ['-t', dir]);
    const next = await waitFor('restart after -t behind the garbage', () => { const p = statusPid(dir); return p && p !== pid ? p : undefined; });
    expect(next).not.toBe(pid);
    expect(sup.exitCode).toBe(null);
    expect(svok(OURS, dir)).toBe(true);
  });

  it.skipIf(!HAVE_DAEMONTOOLS)('prints daemontools\' usage and start-up errors, with the same exit codes', async () => {
    sb.service('s', SLEEPER);
    writeFileSync(sb.path('file'), '');
    for (const args of [[], ['a', 'b'], ['missing'], ['file']]) {
      expect(sh(OURS.supervise, args, sb.root)).toEqual(sh(THEIRS.supervise, args, sb.root));
    }
    expect(sh(OURS.supervise, [], sb.root)).toEqual({ stdout: '', stderr: 'supervise: usage: supervise dir\n', code: 100 });
  });

  it('a file in the way of supervise/ok is a fatal error that names it (exit 111), and nothing starts', () => {
    sb.service('s', SLEEPER);
    mkdirSync(sb.path('s/supervise'), { mode: 0o700 });
    writeFileSync(sb.path('s/supervise/ok'), 'not a fifo');
    const r = sh(OURS.supervise, ['s'], sb.root);
    expect(r.code).toBe(111);
    expect(r.stderr).toMatch(/^supervise: fatal: unable to read s\/supervise\/ok: .*File exists\n$/);
    expect(statSync(sb.path('s/supervise/control')).isFIFO()).toBe(true);
    expect(existsSync(sb.path('s/supervise/status'))).toBe(false); // nothing started, nothing written
  });

  describe.skipIf(!HAVE_DAEMONTOOLS)('against daemontools supervise', () => {
    it.each([
      ['ours first', OURS, THEIRS],
      ['daemontools first', THEIRS, OURS],
    ])('the lock excludes both ways (%s)', async (_n, first, second) => {
      const dir = sb.service('s', SLEEPER);
      await supervise(dir, first);
      await upPid(dir);
      const r = sh(second.supervise, ['s'], sb.root);
      expect(r).toEqual({ stdout: '', stderr: 'supervise: fatal: unable to acquire s/supervise/lock: temporary failure\n', code: 111 });
      expect(sh('flock', ['-n', `${dir}/supervise/lock`, 'true']).code).toBe(1);
      sh(OURS.svc, ['-dx', dir]);
    });

    it('our clients drive daemontools supervise exactly as daemontools clients do', async () => {
      const dir = sb.service('s', SLEEPER);
      const sup = await supervise(dir, THEIRS);
      const pid = await upPid(dir);
      const both = (args: string[]) => {
        // The two run one after the other: a second may tick between them; then ask both again.
        let a = sh(OURS.svstat, args), b = sh(THEIRS.svstat, args);
        for (let tries = 1; tries < 3 && a.stdout !== b.stdout; tries++) [a, b] = [sh(OURS.svstat, args), sh(THEIRS.svstat, args)];
        expect(a).toEqual(b);
        return a.stdout;
      };
      expect(both([dir])).toContain(`up (pid ${pid})`);
      sh(OURS.svc, ['-p', dir]);
      await waitFor('paused', () => status(dir)?.paused);
      expect(both([dir])).toContain(', paused');
      sh(OURS.svc, ['-d', dir]);
      await waitFor('down', () => status(dir)?.pid === 0);
      expect(both([dir])).toMatch(/down \d+ seconds, normally up\n$/);
      expect(sh(OURS.svok, [dir]).code).toBe(0);
      sh(OURS.svc, ['-x', dir]);
      await waitFor('daemontools supervise to exit', () => sup.exitCode !== null);
      expect(sh(OURS.svok, [dir]).code).toBe(100);
      expect(both([dir])).toBe(`${dir}: supervise not running\n`);
    });
  });
});

if (!HAVE_DAEMONTOOLS) console.warn(DAEMONTOOLS_SKIP_REASON);
