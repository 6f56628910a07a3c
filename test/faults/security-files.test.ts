// Files svtools creates as root outside S/supervise/ (doc/security.md): a symlink planted where one
// will be created (a guessable temporary name, a log file's name, a lock) is never written through.
// Each attacker's link points at a "victim" file that must stay untouched, or at a path that must
// never be created. The temporary names hold the writer's pid: the link is planted by the shell
// that then execs the program, so the pid is known in advance, as an attacker can guess it.
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, Sandbox, sh } from '../helpers/sandbox.ts';

const IS_ROOT = process.geteuid?.() === 0;
const DAILY = '--pattern app.%Y%m%d --rotation-time 1d --utc';

let sb: Sandbox;
let victim: string;
let absent: string;
beforeEach(() => {
  sb = new Sandbox();
  victim = sb.path('victim');
  writeFileSync(victim, 'precious\n');
  absent = sb.path('created-by-root');
});
afterEach(() => sb.cleanup());

/** Runs `command` from a shell that first plants `link` (PID in it = the program's pid) to `target`. */
function plantThenRun(link: string, target: string, command: string[]) {
  const script = 'ln -s "$1" "$(printf %s "$2" | sed "s/PID/$$/")" && shift 2 && exec "$@" < /dev/null';
  return sh('sh', ['-c', script, 'sh', target, link, ...command]);
}

function untouched(): void {
  expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  expect(existsSync(absent)).toBe(false);
}

describe.skipIf(!IS_ROOT)('files created as root', () => {
  it('svstat --textfile: a link planted as its temporary file is replaced; the .prom file is written', () => {
    const service = sb.service('s', '#!/bin/sh\nexec sleep 100000\n');
    const textfiles = sb.path('textfiles');
    mkdirSync(textfiles);
    const r = plantThenRun(join(textfiles, '.svtools.prom.PID.tmp'), victim, [bin('svstat'), '--textfile', textfiles, service]);
    expect(r.stderr).toBe('');
    untouched();
    expect(readFileSync(join(textfiles, 'svtools.prom'), 'utf8')).toContain('supervise_');
  });

  it('sabo --pidfile: a link planted as its temporary file is replaced; the pidfile is written', () => {
    const pidfile = sb.path('sabo.pid');
    const r = plantThenRun(`${pidfile}.PID.tmp`, victim, [bin('sabo'), '--max-bandwidth', '1M', '--pidfile', pidfile]);
    expect(r.code).toBe(0);
    untouched();
    // The pidfile itself planted as a link: replaced by the rename.
    const linked = sb.path('linked.pid');
    symlinkSync(absent, linked);
    expect(sh('sh', ['-c', `exec ${bin('sabo')} --max-bandwidth 1M --pidfile ${linked} < /dev/null`]).code).toBe(0);
    untouched();
  });

  it('relaxlogs: a lock planted as a link stops it with the path; a log file planted as a link is never appended to', () => {
    const logs = sb.path('logs');
    mkdirSync(logs);
    symlinkSync(absent, join(logs, 'lock'));
    const locked = sh('sh', ['-c', `echo hello | exec ${bin('relaxlogs')} --log-dir ${logs} ${DAILY}`]);
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toContain(`${logs}/lock`);
    untouched();

    const other = sb.path('logs2');
    mkdirSync(other);
    // Today's name and tomorrow's, in case the test runs across midnight (UTC).
    const names = [0, 1].map((days) => `app.${new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '')}`);
    for (const name of names) symlinkSync(victim, join(other, name));
    const refused = sh('sh', ['-c', `echo hello | exec ${bin('relaxlogs')} --log-dir ${other} ${DAILY} --on-write-error exit`]);
    expect(refused.code).toBe(111);
    expect(refused.stderr).toContain('symbolic link loop');
    untouched();
    for (const name of names) expect(lstatSync(join(other, name)).isSymbolicLink()).toBe(true);
  });

  it('multilog: a current planted as a link is set aside as a .u file, as daemontools does, never written through', () => {
    const logs = sb.path('main');
    mkdirSync(logs);
    symlinkSync(victim, join(logs, 'current'));
    const r = sh('sh', ['-c', `echo hello | exec ${bin('multilog')} ${logs}`]);
    expect(r.code).toBe(0);
    untouched();
    expect(lstatSync(join(logs, 'current')).isFile()).toBe(true);
    expect(readFileSync(join(logs, 'current'), 'utf8')).toBe('hello\n');
  });
});
