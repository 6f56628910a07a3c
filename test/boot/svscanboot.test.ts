// Booting svscan on a host: bin/svscanboot (clean environment, svscan's messages in rotated files),
// svscan's SIGQUIT hand-over, a logger pipe that dies under svscan, and the systemd unit.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bin, BIN, ext, isAlive, Sandbox, sh, upPid, waitFor, ROOT } from '../helpers/sandbox.ts';

const SLEEPER = '#!/bin/sh\nexec sleep 100000\n';
const ENV_RECORDER = '#!/bin/sh\nenv > env.txt\nexec sleep 100000\n';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

function readText(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** svscan's messages in LOGDIR's active file. */
function records(logDir: string): { msg: string; service?: string; pid?: number }[] {
  return readText(`${logDir}/current`).split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function exited(child: ReturnType<Sandbox['spawn']>, timeoutMs = 30_000) {
  await waitFor('the process to exit', () => child.exitCode !== null || child.signalCode !== null, timeoutMs);
  return { code: child.exitCode, signal: child.signalCode };
}

it('svscanboot starts svscan in a clean environment over DIR, its messages in LOGDIR, and TERM stops every service', async () => {
  const scan = sb.path('scan');
  const logs = sb.path('logs');
  const recorder = sb.service('scan/recorder', ENV_RECORDER);
  const logged = sb.service('scan/logged', '#!/bin/sh\necho hello\nexec sleep 100000\n');
  sb.service('scan/logged/log', '#!/bin/sh\nexec cat > out\n');
  const boot = sb.spawn(bin('svscanboot'), [scan, logs, '--kill-timeout', '5'], { env: { ...process.env, SVSCANBOOT_LEAK: 'leak' } });

  const pids = [await upPid(recorder), await upPid(logged), await upPid(`${logged}/log`)];
  await waitFor('the logger to get the first line', () => readText(`${logged}/log/out`) === 'hello\n');
  await waitFor('svscan started and three starts in LOGDIR/current', () => {
    const r = records(logs);
    return r.some((x) => x.msg === 'svscan started') && r.filter((x) => x.msg === 'started').length === 3;
  });
  // svscanboot became svscan (exec): the pid init or systemd watches is svscan's.
  expect(readFileSync(`/proc/${boot.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([`${BIN}/svscan`, '--log-dir', logs]));
  await waitFor('env.txt', () => readText(`${recorder}/env.txt`).includes('PATH='));
  const env = readText(`${recorder}/env.txt`);
  expect(env).not.toContain('SVSCANBOOT_LEAK');
  expect(env).not.toContain('NODE_EXTRA_CA_CERTS');
  expect(env).toMatch(new RegExp(`^PATH=${BIN}:`, 'm'));
  // Nothing of svscan's own on stderr: it is all in the file.
  expect(boot.output()).not.toContain('"msg"');

  process.kill(boot.pid!, 'SIGTERM');
  expect(await exited(boot)).toEqual({ code: 0, signal: null });
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
  const msgs = records(logs).map((r) => r.msg);
  expect(msgs.slice(-2)).toEqual(['every service is down', 'svscan exits']);
});

it('svscan exits at once on SIGQUIT leaving every service running, and the next svscanboot adopts them without a restart', async () => {
  const scan = sb.path('scan');
  const logs = sb.path('logs');
  const dirs = ['a', 'b'].map((n) => sb.service(`scan/${n}`, SLEEPER));
  sb.service('scan/b/log', '#!/bin/sh\nexec cat > out\n');
  const all = [...dirs, `${dirs[1]}/log`];
  const first = sb.spawn(bin('svscanboot'), [scan, logs]);
  const pids = await Promise.all(all.map((d) => upPid(d)));

  process.kill(first.pid!, 'SIGQUIT');
  expect(await exited(first)).toEqual({ code: 0, signal: null });
  for (const pid of pids) expect(isAlive(pid)).toBe(true);
  expect(records(logs).at(-1)?.msg).toMatch(/^exiting now and leaving every service running/);
  for (const d of all) expect(sh(bin('svok'), [d]).code).toBe(100);

  const linesBefore = records(logs).length;
  const second = sb.spawn(bin('svscanboot'), [scan, logs]);
  await waitFor('every service adopted', () => all.every((d) => ext(d)?.adopted === true && sh(bin('svok'), [d]).code === 0));
  all.forEach((d, i) => expect(ext(d)!.pid).toBe(pids[i]));
  await waitFor('svscan started in the log', () => records(logs).slice(linesBefore).some((r) => r.msg === 'svscan started'));
  const after = records(logs).slice(linesBefore);
  expect(after.filter((r) => r.msg.startsWith('adopted'))).toHaveLength(3);
  expect(after.filter((r) => r.msg === 'started' || r.msg === 'restarted')).toHaveLength(0);

  process.kill(second.pid!, 'SIGTERM');
  expect(await exited(second)).toEqual({ code: 0, signal: null });
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
});

it('a second svscan on the same --log-dir exits 111 saying so, and starts nothing', async () => {
  const logs = sb.path('logs');
  const one = sb.service('one/s', SLEEPER);
  const two = sb.service('two/s', SLEEPER);
  const first = sb.spawn(bin('svscanboot'), [sb.path('one'), logs]);
  await upPid(one);
  const second = sb.spawn(bin('svscanboot'), [sb.path('two'), logs]);
  expect(await exited(second)).toEqual({ code: 111, signal: null });
  expect(second.output()).toContain(`unable to lock directory ${logs}: lock busy: another svscan logs there`);
  expect(readText(`${two}/supervise/status`)).toBe('');
  process.kill(first.pid!, 'SIGTERM');
  expect(await exited(first)).toEqual({ code: 0, signal: null });
});

it('svscan outlives the death of a logger reading its stderr (no SIGPIPE) and goes on supervising', async () => {
  const dir = sb.service('scan/s', SLEEPER);
  const svscan = sb.spawn(bin('svscan'), [sb.path('scan'), '--log-format', 'json', '--log-level', 'debug', '--rescan-interval', '0.1']);
  const pid = await upPid(dir);
  // The reading end closes: every later message of svscan's meets a pipe without a reader.
  svscan.stderr!.destroy();
  for (let i = 0; i < 5; i++) process.kill(svscan.pid!, 'SIGUSR1');
  await new Promise((r) => setTimeout(r, 500)); // debug messages at every rescan (0.1 s) meanwhile
  expect(isAlive(svscan.pid!)).toBe(true);
  sh(bin('svc'), ['-t', dir]);
  await waitFor('a new pid after svc -t', () => { const p = ext(dir)?.pid; return p && p !== pid ? p : undefined; });
  process.kill(svscan.pid!, 'SIGTERM');
  expect(await exited(svscan)).toEqual({ code: 0, signal: null });
});

const HAVE_SYSTEMD_ANALYZE = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

it.skipIf(!HAVE_SYSTEMD_ANALYZE)('contrib/systemd/svscan.service passes systemd-analyze verify, and leaves the services to svscan', () => {
  const unit = readFileSync(`${ROOT}/contrib/systemd/svscan.service`, 'utf8');
  // Only the install path changes: verify insists that ExecStart's program exists.
  const local = unit.replace('/usr/local/bin/svscanboot', bin('svscanboot'));
  expect(local).not.toBe(unit);
  writeFileSync(sb.path('svscan.service'), local);
  // --man=no: Documentation= names man pages that only `npm install -g` installs.
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', sb.path('svscan.service')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(unit).toMatch(/^KillMode=process$/m);
  expect(unit).toMatch(/^Restart=always$/m);
});
