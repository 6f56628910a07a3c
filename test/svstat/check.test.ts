// svcheck (≡ svstat --check): exit codes 0/1/2/3, the status line and perfdata, restarts per
// window from a state file, and the same against real supervise processes.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPrivateDirectory, defaultStateFile, increaseOver, prune } from '../../src/svstat/history.ts';
import { CRITICAL, OK, parseRestartLimit, UNKNOWN, WARNING, worst } from '../../src/svstat/check.ts';
import { bin, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { FakeServices, have, run } from './helpers.ts';

const SVCHECK = bin('svcheck');
const SVSTAT = bin('svstat');

describe('restart history arithmetic', () => {
  it('parses N/WINDOW with an optional unit', () => {
    expect(parseRestartLimit('5/600')).toEqual({ count: 5, windowS: 600 });
    expect(parseRestartLimit('0/10m')).toEqual({ count: 0, windowS: 600 });
    expect(parseRestartLimit('3/2h')).toEqual({ count: 3, windowS: 7200 });
    for (const bad of ['5', '5/0', 'x/10', '5/10d', '-1/10']) expect(parseRestartLimit(bad)).toBeUndefined();
  });
  it('counts the increase since the newest sample at least WINDOW old, with counter resets', () => {
    const samples: [number, number][] = [[0, 0], [100, 2], [200, 5]];
    expect(increaseOver(samples, 300, 150, 6)).toEqual({ count: 4, covered: 200 });
    expect(increaseOver(samples, 300, 1000, 6)).toEqual({ count: 6, covered: 300 });
    // supervise restarted in between: its counter began again at 0.
    expect(increaseOver([[0, 5], [100, 1]], 200, 1000, 3)).toEqual({ count: 3, covered: 200 });
    expect(increaseOver([], 200, 1000, 7)).toEqual({ count: 0, covered: 0 });
    // Samples from the future (the clock went back) are ignored.
    expect(increaseOver([[500, 1]], 200, 1000, 7)).toEqual({ count: 0, covered: 0 });
  });
  it('keeps the samples of the window and one older anchor', () => {
    expect(prune([[0, 0], [100, 1], [200, 2], [300, 3]], 300, 150)).toEqual([[100, 1], [200, 2], [300, 3]]);
  });
  it('ranks states as monitoring-plugins do: CRITICAL > WARNING > UNKNOWN > OK', () => {
    expect(worst(OK, UNKNOWN)).toBe(UNKNOWN);
    expect(worst(UNKNOWN, WARNING)).toBe(WARNING);
    expect(worst(CRITICAL, WARNING)).toBe(CRITICAL);
    expect(worst(CRITICAL, UNKNOWN)).toBe(CRITICAL);
  });
});

describe('the default state directory (/var/tmp/svcheck-UID)', () => {
  it('is used only when it is a directory of ours that nobody else may write', () => {
    const base = mkdtempSync(join(tmpdir(), 'svcheck-state-'));
    try {
      const me = process.getuid!();
      const ours = join(base, 'ours');
      mkdirSync(ours, { mode: 0o700 });
      expect(() => checkPrivateDirectory(ours, me)).not.toThrow();
      const loose = join(base, 'loose');
      mkdirSync(loose);
      chmodSync(loose, 0o777);
      expect(() => checkPrivateDirectory(loose, me)).toThrow(`${loose} is not a private directory of uid ${me} (owned by uid ${me}, mode 0777): remove it, or give --state-file`);
      const link = join(base, 'link');
      symlinkSync(ours, link);
      expect(() => checkPrivateDirectory(link, me)).toThrow(/\(a symbolic link\)/);
      if (me === 0) {
        const theirs = join(base, 'theirs');
        mkdirSync(theirs, { mode: 0o700 });
        chownSync(theirs, 65534, 65534);
        expect(() => checkPrivateDirectory(theirs, me)).toThrow(/owned by uid 65534/);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('svcheck on fake status directories', () => {
  let sb: Sandbox;
  let fakes: FakeServices;
  beforeEach(() => { sb = new Sandbox(); fakes = new FakeServices(sb); });
  afterEach(() => { fakes.close(); sb.cleanup(); });

  const check = (...args: string[]) => {
    const r = run(SVCHECK, args);
    expect(r.stdout.split('\n')).toHaveLength(2); // one line
    return { code: r.code, line: r.stdout.trimEnd() };
  };

  it('gives 0/1/2/3 by the states of doc/svcheck.md (Exit codes)', async () => {
    const t = Date.now();
    const ok = await fakes.make('nginx', { pid: 1234, sinceMs: t - 3_612_000, ext: { restarts: 3 } });
    const young = await fakes.make('young', { pid: 1235, sinceMs: t - 5_000, ext: {} });
    const down = await fakes.make('crashed', { pid: 0, want: 'up', ext: { lastExit: { code: 1, signal: null, at: t - 100_000 } } });
    const backoff = await fakes.make('backoff', { pid: 0, want: 'up', ext: { backoffUntil: t + 60_000 } });
    const stopped = await fakes.make('stopped', { pid: 0, want: 'down', down: true });
    const once = await fakes.make('once', { pid: 0, want: 'once' });
    const paused = await fakes.make('paused', { pid: 1236, paused: true });
    const stopping = await fakes.make('stopping', { pid: 1237, want: 'down' });
    const starting = await fakes.make('starting', { pid: 1238, sinceMs: t - 5_000, notificationFd: true, ext: { readySince: null } });
    const notrunning = await fakes.make('notrunning', { pid: 1239, running: false });

    const r = check(ok, '--warn-uptime', '60', '--crit-restarts', '5/600', '--state-file', sb.path('state.json'));
    expect(r.code).toBe(OK);
    expect(r.line).toMatch(/^SV OK - nginx up 36\d\ds, ready 36\d\ds, pid 1234 \| uptime=36\d\ds;60:;;0; restarts=3c;;;0; restarts_600s=0;;5;0;$/);
    // (thresholds far above young's 5 s: a loaded machine may take a while between make and check)
    expect(check(young, '--warn-uptime', '300')).toMatchObject({ code: WARNING, line: expect.stringMatching(/^SV WARNING - young up \d+s, ready \d+s, pid 1235 \(up \d+s < 300s\) \| uptime=\d+s;300:;;0; restarts=0c;;;0;$/) });
    expect(check(young, '--warn-uptime', '300', '--crit-uptime', '200').code).toBe(CRITICAL);
    expect(check(young).code).toBe(OK);
    expect(check(down)).toMatchObject({ code: CRITICAL, line: expect.stringMatching(/^SV CRITICAL - crashed down \d+s, want up \(down while wanted up\) \| uptime=0s;;;0; restarts=0c;;;0;$/) });
    expect(check(backoff)).toMatchObject({ code: CRITICAL, line: expect.stringMatching(/next start in \d+s \(down in backoff while wanted up\)/) });
    expect(check(stopped).code).toBe(OK);
    expect(check(once).code).toBe(OK);
    expect(check(paused)).toMatchObject({ code: WARNING, line: expect.stringContaining('(paused)') });
    expect(check(stopping)).toMatchObject({ code: WARNING, line: expect.stringContaining('(up while wanted down)') });
    expect(check(starting)).toMatchObject({ code: WARNING, line: expect.stringContaining('not ready') });
    expect(check(starting, '--ready-timeout', '3').code).toBe(CRITICAL);
    expect(check(starting, '--ready-timeout', '300').code).toBe(WARNING);
    expect(check(notrunning)).toEqual({ code: UNKNOWN, line: 'SV UNKNOWN - notrunning supervise not running' });
    expect(check(sb.path('missing'))).toMatchObject({ code: UNKNOWN, line: 'SV UNKNOWN - missing unable to chdir: file does not exist' });
    // No status.json: restarts cannot be counted; a restart threshold makes that UNKNOWN.
    expect(check(paused, '--warn-restarts', '1/60').line).toContain('restarts unknown (no supervise/status.json)');
    expect(check(stopped, '--warn-restarts', '1/60').code).toBe(UNKNOWN);

    // Several directories: the worst state, every service named, perfdata labels prefixed.
    const all = check(ok, young, down, '--warn-uptime', '60');
    expect(all.code).toBe(CRITICAL);
    expect(all.line).toMatch(/^SV CRITICAL - nginx up .*; young up .*; crashed down .* \| 'nginx uptime'=\d+s;60:;;0; 'nginx restarts'=3c;;;0; 'young uptime'=/);
    expect(check(ok, notrunning).code).toBe(UNKNOWN);
    expect(check(young, notrunning, '--warn-uptime', '300').code).toBe(WARNING);

    // --scan checks every service of a scan directory.
    expect(check('--scan', sb.root).code).toBe(CRITICAL);

    // svstat --check is svcheck.
    for (const args of [[ok], [down], [notrunning], [young, '--warn-uptime', '60']]) {
      const a = run(SVCHECK, args), b = run(SVSTAT, ['--check', ...args]);
      expect({ ...b, stdout: b.stdout.replace(/\d+s/g, 'Ns') }).toEqual({ ...a, stdout: a.stdout.replace(/\d+s/g, 'Ns') });
    }
  });

  it('svstat --check=ready: 0 only when every service is up and ready (Kubernetes readiness)', async () => {
    const t = Date.now();
    const ready = await fakes.make('ready', { pid: 10, notificationFd: true, ext: { readySince: t - 1000 } });
    const plain = await fakes.make('plain', { pid: 11 });
    const starting = await fakes.make('starting', { pid: 12, notificationFd: true, ext: { readySince: null } });
    const down = await fakes.make('down', { pid: 0 });
    expect(run(SVSTAT, ['--check=ready', ready, plain])).toMatchObject({ code: 0, stdout: 'ready: ready plain\n' });
    expect(run(SVSTAT, ['--check=ready', ready, starting]).code).toBe(1);
    expect(run(SVSTAT, ['--check=ready', down]).code).toBe(1);
    expect(run(SVSTAT, ['--check=ready', sb.path('missing')]).code).toBe(1);
  });

  it('bad arguments are UNKNOWN (3)', async () => {
    const dir = await fakes.make('s', { pid: 5 });
    for (const args of [[], [dir, '--warn-uptime', 'soon'], [dir, '--crit-restarts', '5'], [dir, '--bogus'], [dir, '--warn-uptime'], [dir, '--textfile', sb.root]]) {
      expect(run(SVCHECK, args).code, JSON.stringify(args)).toBe(UNKNOWN);
    }
    expect(run(SVSTAT, ['--check', dir, '--crit-restarts', 'x']).code).toBe(100);
  });

  it('restarts per window: the counter\'s increase over the window, from samples in the state file', async () => {
    const state = sb.path('state', 'svcheck.json');
    const dir = await fakes.make('flappy', { pid: 77, ext: { restarts: 2 } });
    const args = [dir, '--warn-restarts', '1/600', '--crit-restarts', '3/600', '--state-file', state];
    // First run: no history, nothing counted yet.
    expect(check(...args)).toMatchObject({ code: OK, line: expect.stringContaining('restarts_600s=0;1;3;0;') });
    const key = resolve(dir);
    const samples = () => (JSON.parse(readFileSync(state, 'utf8')) as { services: Record<string, [number, number][]> }).services[key]!;
    expect(samples().map(([, n]) => n)).toEqual([2]);
    fakes.setStatus(dir, { pid: 78, ext: { restarts: 4 } });
    expect(check(...args)).toMatchObject({ code: WARNING, line: expect.stringContaining('(2 restarts in 600s > 1)') });
    // supervise restarted: its counter began again; 1 more start is 1 more restart.
    fakes.setStatus(dir, { pid: 79, ext: { restarts: 1 } });
    expect(check(...args)).toMatchObject({ code: WARNING, line: expect.stringContaining('restarts_600s=3;1;3;0;') });
    fakes.setStatus(dir, { pid: 80, ext: { restarts: 2 } });
    expect(check(...args)).toMatchObject({ code: CRITICAL, line: expect.stringContaining('(4 restarts in 600s > 3)') });
    expect(samples().map(([, n]) => n)).toEqual([2, 4, 1, 2]);

    // Old samples: only the increase since the newest sample at least a window old counts.
    const now = Date.now();
    writeFileSync(state, JSON.stringify({ version: 1, services: { [key]: [[now - 900_000, 0], [now - 700_000, 10], [now - 100_000, 11]] } }));
    fakes.setStatus(dir, { pid: 81, ext: { restarts: 12 } });
    expect(check(...args)).toMatchObject({ code: WARNING, line: expect.stringContaining('restarts_600s=2;1;3;0;') });
    expect(samples()[0]![1]).toBe(10); // the one anchor older than the window is kept, older ones dropped
    // Two windows: each its own count.
    expect(check(dir, '--warn-restarts', '0/60', '--crit-restarts', '5/1h', '--state-file', state).line).toMatch(/restarts_60s=1;0;;0; restarts_3600s=2;;5;0;$/);
  });

  it('without --state-file keeps samples in /var/tmp/svcheck-UID/, one file per service', async () => {
    const dir = await fakes.make('defaultstate', { pid: 5, ext: { restarts: 1 } });
    const file = defaultStateFile(dir);
    try {
      expect(check(dir, '--warn-restarts', '3/600').code).toBe(OK);
      expect(existsSync(file)).toBe(true);
      expect(file.startsWith(`/var/tmp/svcheck-${process.getuid!()}/`)).toBe(true);
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe('svcheck and svstat formats with real supervise processes', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());

  const okay = (dir: string) => run(bin('svok'), [dir]).code === 0;

  it('follows a service through up, down, a broken run and supervise exiting', async () => {
    const up = sb.service('web', '#!/bin/sh\nexec sleep 1000\n');
    const broken = sb.service('broken', '#!/bin/sh\nexec sleep 1000\n');
    chmodSync(join(broken, 'run'), 0o644); // supervise retries forever: down, want up
    const off = sb.service('off', '#!/bin/sh\nexec sleep 1000\n', { down: true });
    for (const dir of [up, broken, off]) sb.spawn(bin('supervise'), [dir]);
    for (const dir of [up, broken, off]) await waitFor(`supervise on ${dir}`, () => okay(dir));
    await waitFor('web up', () => statusPid(up) || undefined);

    expect(run(SVCHECK, [up])).toMatchObject({ code: OK, stdout: expect.stringMatching(/^SV OK - web up \d+s, ready \d+s, pid \d+ \| uptime=\d+s;;;0;/) });
    await waitFor('broken to be tried', () => existsSync(join(broken, 'supervise/status')));
    expect(run(SVCHECK, [broken]).code).toBe(CRITICAL);
    expect(run(SVCHECK, [off]).code).toBe(OK);
    expect(run(SVSTAT, ['-o', 'up,wantedup,normallyup', up, broken, off]).stdout).toBe('1 1 1\n0 1 1\n0 0 0\n');

    const json = run(SVSTAT, ['--json', up]).stdout;
    const o = JSON.parse(json) as Record<string, unknown>;
    expect(o).toMatchObject({ service: 'web', state: 'up', up: true, ready: true, supervised: true, pid: statusPid(up) });

    // svc -d: down and wanted down is OK; svc -u brings it back.
    expect(run(bin('svc'), ['-d', up]).code).toBe(0);
    await waitFor('web down', () => statusPid(up) === 0);
    expect(run(SVCHECK, [up])).toMatchObject({ code: OK, stdout: expect.stringMatching(/^SV OK - web down \d+s/) });
    expect(run(SVSTAT, ['-o', 'up,wantedup', up]).stdout).toBe('0 0\n');
    run(bin('svc'), ['-u', up]);
    await waitFor('web up again', () => statusPid(up) || undefined);
    expect(run(SVCHECK, [up, '--crit-uptime', '3600']).code).toBe(CRITICAL);

    if (have('promtool')) {
      const prom = run(SVSTAT, ['--format=prometheus', up, broken, off]).stdout;
      expect(prom).toContain('supervise_service_up{service="web"} 1');
      const r = run('sh', ['-c', `printf '%s' "$1" | promtool check metrics`, 'sh', prom]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }

    // svc -x on a down service: supervise exits; the check is then UNKNOWN.
    run(bin('svc'), ['-x', off]);
    await waitFor('supervise on off to exit', () => !okay(off));
    expect(run(SVCHECK, [off])).toMatchObject({ code: UNKNOWN, stdout: 'SV UNKNOWN - off supervise not running\n' });
    expect(run(SVSTAT, ['-o', 'up', off]).stdout).toBe('0\n');
  });
});
