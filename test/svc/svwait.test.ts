import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSvwait } from '../../src/svc/svwait.ts';
import { bin, HAVE_DAEMONTOOLS, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';

const SLEEPER = '#!/bin/sh\nexec sleep 1000\n';

/** Starts svwait and resolves with its exit code. */
function svwait(args: string[], cwd: string) {
  const child = spawn(bin('svwait'), args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<{ code: number | null; stderr: string }>((r) => child.on('exit', (code) => r({ code, stderr })));
  return { child, exited };
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

describe('svwait options', () => {
  it('parses s6-svwait style options', () => {
    expect(parseSvwait(['-U', '-o', '-t', '500', 'a', 'b'])).toEqual({ awaited: 'ready', mode: 'any', timeoutMs: 500, dirs: ['a', 'b'] });
    expect(parseSvwait(['-dt250', 'a'])).toEqual({ awaited: 'down', mode: 'all', timeoutMs: 250, dirs: ['a'] });
    expect(parseSvwait(['-D', '--', '-a'])).toMatchObject({ awaited: 'finished', dirs: ['-a'] });
    expect(parseSvwait(['-u'])).toBeUndefined();
    expect(parseSvwait(['-x', 'a'])).toBeUndefined();
    expect(parseSvwait(['-t', 'soon', 'a'])).toBeUndefined();
  });
});

describe('svwait', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());

  async function supervised(name: string, opts: { down?: boolean } = {}, supervise = bin('supervise')) {
    const dir = sb.service(name, SLEEPER, opts);
    sb.spawn(supervise, [dir]);
    await waitFor('supervise running', () => spawnSync(bin('svok'), [dir]).status === 0);
    return dir;
  }

  it('waits for up without spinning, and exits 0 when it comes', async () => {
    const dir = await supervised('s', { down: true });
    const w = svwait(['-u', dir], sb.root);
    const startTicks = await waitFor('svwait started', () => { try { return cpuTicks(w.child.pid!) || undefined; } catch { return undefined; } });
    await new Promise((r) => setTimeout(r, 1500));
    // A busy loop would burn ~150 ticks in 1.5 s; an inotify wait burns next to nothing.
    expect(cpuTicks(w.child.pid!) - startTicks).toBeLessThan(40);
    expect(w.child.exitCode).toBe(null);
    spawnSync(bin('svc'), ['-u', dir]);
    expect((await w.exited).code).toBe(0);
    expect(statusPid(dir)).not.toBe(0);
  });

  it('waits for down (-d) and for all or any of several services', async () => {
    const a = await supervised('a');
    const b = await supervised('b');
    await waitFor('both up', () => statusPid(a) && statusPid(b));
    const any = svwait(['-d', '-o', a, b], sb.root);
    const all = svwait(['-d', '-a', a, b], sb.root);
    spawnSync(bin('svc'), ['-d', a]);
    expect((await any.exited).code).toBe(0);
    expect(all.child.exitCode).toBe(null);
    spawnSync(bin('svc'), ['-d', b]);
    expect((await all.exited).code).toBe(0);
  });

  it('exits 99 on timeout, 102 when nothing supervises the service, 100 on usage', async () => {
    const dir = await supervised('s', { down: true });
    expect((await svwait(['-u', '-t', '300', dir], sb.root).exited).code).toBe(99);
    const orphan = sb.service('orphan', SLEEPER);
    const r = await svwait(['-u', orphan], sb.root).exited;
    expect(r.code).toBe(102);
    expect(r.stderr).toContain('supervise not running');
    expect((await svwait(['-u'], sb.root).exited).code).toBe(100);
  });

  it.skipIf(!HAVE_DAEMONTOOLS)('treats up as ready under daemontools supervise, which has no readiness', async () => {
    const dir = await supervised('s', { down: true }, 'supervise');
    const w = svwait(['-U', '-t', '20000', dir], sb.root);
    spawnSync(bin('svc'), ['-u', dir]);
    expect((await w.exited).code).toBe(0);
    spawnSync(bin('svc'), ['-dx', dir]);
  });
});
