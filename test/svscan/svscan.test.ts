// svscan: scanning, the daemontools interface on every service, rescans, removal, orderly stop.
import { mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAEMONTOOLS_SKIP_REASON, HAVE_DAEMONTOOLS, isAlive, Sandbox, statusPid, waitFor, bin } from '../helpers/sandbox.ts';
import { ext, exitOf, newPid, readText, sh, SLEEPER, startSvscan, upPid, SVSCAN } from './helpers.ts';
import { readProcStat } from '../../src/supervise/proc-stat.ts';

const OURS = { svc: bin('svc'), svstat: bin('svstat'), svok: bin('svok') };
const THEIRS = { svc: 'svc', svstat: 'svstat', svok: 'svok' };

describe('svscan', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());

  it('supervises every subdirectory (symlinks followed), skips dot-names and plain files, in one process', async () => {
    const scan = sb.path('scan');
    const a = sb.service('scan/a', SLEEPER);
    const target = sb.service('elsewhere/b', SLEEPER);
    symlinkSync(target, sb.path('scan/b'));
    sb.service('scan/.hidden', SLEEPER);
    writeFileSync(sb.path('scan/plain-file'), 'not a service\n');
    const svscan = startSvscan(sb, scan);
    const pa = await upPid(a);
    const pb = await upPid(target);
    expect(existsSync(sb.path('scan/.hidden/supervise'))).toBe(false);
    expect(readdirSync(scan).sort()).toEqual(['.hidden', 'a', 'b', 'plain-file']);
    // One process: every service's parent is svscan itself, in its own session.
    for (const pid of [pa, pb]) {
      expect(readProcStat(pid)).toMatchObject({ ppid: svscan.pid, session: pid });
    }
    // status.json beside daemontools' status.
    const e = ext(a)!;
    // Without notification-fd a service is ready as soon as it is up.
    expect(e).toMatchObject({ version: 1, pid: pa, pgid: pa, adopted: false, restarts: 0, lastExit: null, readySince: e.since, backoffUntil: null, leftovers: 0 });
    expect(e.pidStartTicks).toBeGreaterThan(0);
    await waitFor('started messages', () => svscan.has((r) => r.msg === 'started' && r.service === 'a' && r.pid === pa) && svscan.has((r) => r.msg === 'started' && r.service === 'b'));
    expect(svscan.records().some((r) => r.service === '.hidden' || r.service === 'plain-file')).toBe(false);
  });

  describe.each([
    ['our clients', OURS],
    ['daemontools clients', THEIRS],
  ])('driven by %s', (_name, tools) => {
    it.skipIf(tools === THEIRS && !HAVE_DAEMONTOOLS)('svc, svstat and svok work on every service', async () => {
      const a = sb.service('scan/a', '#!/bin/sh\nexit 7\n', { down: true });
      const b = sb.service('scan/b', SLEEPER);
      startSvscan(sb, sb.path('scan'));
      const pb = await upPid(b);
      await waitFor('a supervised', () => sh(tools.svok, [a]).code === 0);
      expect(sh(tools.svstat, [a, b]).stdout).toMatch(new RegExp(`^${a}: down \\d+ seconds\\n${b}: up \\(pid ${pb}\\) \\d+ seconds\\n$`));
      sh(tools.svc, ['-k', b]);
      const pb2 = await newPid(b, pb);
      await waitFor('restart counted', () => ext(b)?.restarts === 1 && ext(b)?.lastExit?.signal === 'KILL');
      sh(tools.svc, ['-d', b]);
      await waitFor('b down', () => statusPid(b) === 0);
      expect(isAlive(pb2)).toBe(false);
      expect(sh(tools.svstat, [b]).stdout).toMatch(/: down \d+ seconds, normally up\n$/);
      expect(ext(b)).toMatchObject({ pid: 0, pidStartTicks: null, lastExit: { code: null, signal: 'TERM' } });
      sh(tools.svc, ['-o', a]);
      await waitFor('a ran once and exited 7', () => ext(a)?.lastExit?.code === 7);
      expect(statusPid(a)).toBe(0);
    });
  });

  it('picks up a new service at once (fs.watch) and stops one whose directory disappears', async () => {
    const scan = sb.path('scan');
    mkdirSync(scan);
    const svscan = startSvscan(sb, scan, ['--rescan-interval', '600']);
    await waitFor('svscan started', () => svscan.has((r) => r.msg === 'svscan started'));
    // Made elsewhere and moved in, as operators are told to (a half-written run would wait a second).
    const staged = sb.service('staging/new', '#!/bin/sh\necho $$ > pid\ntrap "echo bye > bye; exit 0" TERM\nwhile :; do sleep 0.05; done\n');
    renameSync(staged, sb.path('scan/new'));
    const dir = sb.path('scan/new');
    const pid = await upPid(dir, 5_000); // a behaviour bound: the rescan interval is 10 minutes
    await waitFor('traps set', () => existsSync(`${dir}/pid`));
    renameSync(dir, sb.path('gone'));
    await waitFor('the service to be stopped', () => !isAlive(pid), 10_000);
    expect(readText(sb.path('gone/bye'))).toBe('bye\n');
    await waitFor('stopped and released', () => svscan.has((r) => r.msg === 'stopped and released' && r.service === 'new'));
    expect(svscan.has((r) => r.msg === 'service directory gone: stopping it' && r.service === 'new')).toBe(true);
    expect(sh(OURS.svok, [sb.path('gone')]).code).toBe(100);
    sb.track(pid);
  });

  it.each(['SIGHUP', 'SIGALRM'] as const)('%s rescans now (with no watch and a long interval)', async (signal) => {
    const scan = sb.path('scan');
    mkdirSync(scan);
    const svscan = startSvscan(sb, scan, ['--rescan-interval', '600', '--no-watch']);
    await waitFor('svscan started', () => svscan.has((r) => r.msg === 'svscan started'));
    const dir = sb.service('scan/late', SLEEPER);
    await new Promise((r) => setTimeout(r, 300));
    expect(statusPid(dir)).toBe(0);
    process.kill(svscan.pid!, signal);
    await upPid(dir, 5_000);
  });

  it('SIGUSR1 logs one stats line: services, loggers, up/down, restarts, and what svscan itself costs', async () => {
    const a = sb.service('scan/a', SLEEPER);
    sb.service('scan/a/log', '#!/bin/sh\nexec cat > /dev/null\n');
    const b = sb.service('scan/b', SLEEPER, { down: true });
    const svscan = startSvscan(sb, sb.path('scan'));
    const pa = await upPid(a);
    await upPid(`${a}/log`);
    await waitFor('b supervised', () => sh(bin('svok'), [b]).code === 0);
    sh(bin('svc'), ['-k', a]);
    await newPid(a, pa);
    process.kill(svscan.pid!, 'SIGUSR1');
    const stats = await waitFor('stats line', () => svscan.records().find((r) => r.msg === 'stats'));
    expect(stats).toMatchObject({ services: 2, loggers: 1, up: 2, down: 1, adopted: 0, backingOff: 0, restarts: 1 });
    expect(stats.rssBytes).toBeGreaterThan(10_000_000);
    expect(stats.heapUsedBytes).toBeGreaterThan(0);
    // At least stdio, the lock and both fifos of each of the three directories.
    expect(stats.openFds).toBeGreaterThan(3 + 3 * 3);
    expect(stats.cpuShare).toBeGreaterThanOrEqual(0);
    expect(stats.cpuShare).toBeLessThanOrEqual(2);
  });

  it.skipIf(!HAVE_DAEMONTOOLS)('leaves a service that daemontools\' supervise already runs alone', async () => {
    const theirs = sb.service('scan/theirs', SLEEPER);
    const ours = sb.service('scan/ours', SLEEPER);
    const sup = sb.spawn('supervise', [theirs]);
    const theirPid = await upPid(theirs);
    const svscan = startSvscan(sb, sb.path('scan'));
    await upPid(ours);
    await waitFor('left-alone message', () => svscan.has((r) => r.service === 'theirs' && /already supervised by another supervise/.test(r.msg)));
    expect(statusPid(theirs)).toBe(theirPid);
    expect(sup.exitCode).toBe(null);
    expect(existsSync(`${theirs}/supervise/status.json`)).toBe(false);
    sh('svc', ['-dx', theirs]);
    await waitFor('daemontools supervise gone', () => sup.exitCode !== null);
    sb.track(theirPid);
  });

  it('SIGTERM: services down (KILL after --kill-timeout for one ignoring TERM), loggers last with their final lines, exit 0', async () => {
    const stubborn = sb.service('scan/stubborn', '#!/bin/sh\ntrap "" TERM\necho $$ > pid\nwhile :; do sleep 0.05; done\n');
    const talker = sb.service('scan/talker', '#!/bin/sh\ntrap "echo last words; exit 0" TERM\necho first words\nwhile :; do sleep 0.05; done\n');
    sb.service('scan/talker/log', '#!/bin/sh\ntrap "" TERM\nexec cat >> out\n');
    const svscan = startSvscan(sb, sb.path('scan'), ['--kill-timeout', '1']);
    const ps = await upPid(stubborn);
    const pt = await upPid(talker);
    const pl = await upPid(`${talker}/log`);
    await waitFor('traps set', () => existsSync(`${stubborn}/pid`));
    await waitFor('first line through the pipe', () => readText(`${talker}/log/out`) === 'first words\n');
    const t0 = Date.now();
    process.kill(svscan.pid!, 'SIGTERM');
    expect(await exitOf(svscan)).toEqual({ code: 0, signal: null });
    const took = Date.now() - t0;
    for (const pid of [ps, pt, pl]) expect(isAlive(pid)).toBe(false);
    // The logger ignores TERM: it ended at end of input, after svscan let go of the pipe.
    expect(readText(`${talker}/log/out`)).toBe('first words\nlast words\n');
    expect(took).toBeLessThan(8_000); // generous: 1 s kill timeout, then the logger's EOF
    const msgs = svscan.records().map((r) => r.msg);
    expect(msgs).toContain('every service is down');
    expect(svscan.records().find((r) => r.service === 'stubborn' && r.msg === 'exited')).toMatchObject({ signal: 'SIGKILL' });
    expect(sh(OURS.svok, [talker]).code).toBe(100);
  });

  it('usage errors exit 100, an unusable directory 111', () => {
    expect(sh(SVSCAN, ['a', 'b']).code).toBe(100);
    expect(sh(SVSCAN, ['--bogus']).code).toBe(100);
    expect(sh(SVSCAN, ['--kill-timeout', '-1', sb.root]).code).toBe(100);
    const missing = sh(SVSCAN, [sb.path('missing'), '--log-format', 'json']);
    expect(missing.code).toBe(111);
    expect(JSON.parse(missing.stderr.trim())).toMatchObject({ level: 60, msg: `unable to chdir to ${sb.path('missing')}: file does not exist` });
    expect(sh(SVSCAN, ['--help']).stdout).toContain('--kill-timeout');
  });

  it('--log-format pretty writes one readable line per message', async () => {
    sb.service('scan/a', SLEEPER);
    const child = sb.spawn(SVSCAN, [sb.path('scan'), '--log-format', 'pretty']);
    await upPid(sb.path('scan/a'));
    await waitFor('a pretty line', () => /^\d\d:\d\d:\d\d\.\d{3} INFO  started service=a pid=\d+$/m.test(child.output()));
  });
});

if (!HAVE_DAEMONTOOLS) console.warn(DAEMONTOOLS_SKIP_REASON);
