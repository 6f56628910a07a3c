// PACKAGING (slow: npm pack, then npm install from the registry; about 20-40 s): the tarball that
// `npm pack` makes installs into a fresh prefix with every command working from its runtime
// dependencies alone, as service-examples/container/Dockerfile does: svscan over a copy of the demo
// (svstat, svc, stop), and as PID 1 over the container example's /service with the probes of
// pod.yaml (svok, svcheck).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ext, ROOT, Sandbox, statusPid, upPid, waitFor } from '../helpers/sandbox.ts';
import { exitOf } from '../svscan/helpers.ts';
import { CAN_UNSHARE, startPid1 } from './helpers.ts';

const HAVE_MEMCACHED = spawnSync('sh', ['-c', 'command -v memcached'], { stdio: 'ignore' }).status === 0;
const COMMANDS = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin as Record<string, string>);

let sb: Sandbox;
let prefix: string;
/** PATH with the installed commands first, and no trace of the repository's node_modules. */
let env: NodeJS.ProcessEnv;
const installed = (name: string) => join(prefix, 'bin', name);
/** The examples as in git: a developer's `npm start` leaves supervise/ (fifos cp cannot copy) and logs. */
const withoutRunState = (source: string) => !/\/(supervise|main)$/.test(source);
const run = (name: string, args: string[]) => spawnSync(installed(name), args, { env, encoding: 'utf8' });

beforeAll(() => {
  sb = new Sandbox();
  prefix = sb.path('prefix');
  const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', sb.root], { cwd: ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = readdirSync(sb.root).find((f) => /^svtools-.*\.tgz$/.test(f));
  if (!tarball) throw new Error(`npm pack wrote no svtools-*.tgz in ${sb.root}`);
  // Outside the repository, so that nothing resolves from its node_modules.
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(sb.root, tarball)], { cwd: sb.root, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`npm install -g of the tarball failed: ${install.stderr}`);
  env = { ...process.env, PATH: `${join(prefix, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, NODE_PATH: '' };
}, 180_000);
afterAll(() => sb?.cleanup());

describe('the packed tarball', () => {
  it('installs every command and no development dependency', () => {
    for (const name of COMMANDS) expect(existsSync(installed(name)), name).toBe(true);
    const modules = join(prefix, 'lib', 'node_modules', 'svtools', 'node_modules');
    for (const dev of ['typescript', 'vitest', 'esbuild', '@types']) expect(existsSync(join(modules, dev)), dev).toBe(false);
    expect(existsSync(join(modules, 'koffi'))).toBe(true);
    // Each starts from the installed files alone (usage errors are fine; a missing module is not).
    for (const name of COMMANDS) {
      const r = run(name, ['--help']);
      expect(r.status, `${name}: ${r.stderr}`).not.toBe(null);
      expect(r.stderr, name).not.toMatch(/Cannot find|ERR_MODULE_NOT_FOUND|not found/);
    }
  });

  it('runs svscan over a copy of the demo: svstat, svc -t, stop', async () => {
    const scan = sb.path('demo');
    cpSync(join(ROOT, 'service-examples/demo'), scan, { recursive: true, filter: withoutRunState });
    rmSync(join(scan, 'hello/supervise'), { recursive: true, force: true });
    rmSync(join(scan, 'hello/log/supervise'), { recursive: true, force: true });
    rmSync(join(scan, 'hello/log/main'), { recursive: true, force: true });
    // The demo's logger is svscan's built-in one (hello/log/relaxlogs): the installed dist/svscan-logger.cjs.
    const svscan = sb.spawn(installed('svscan'), [scan, '--log-format', 'json'], { env });
    const hello = join(scan, 'hello');
    const pid = await upPid(hello);
    await upPid(join(hello, 'log'));
    expect(run('svstat', [hello]).stdout).toMatch(new RegExp(`^${hello}: up \\(pid ${pid}\\) \\d+ seconds\\n$`));
    expect(run('svc', ['-t', hello]).status).toBe(0);
    await waitFor('a new pid', () => { const p = statusPid(hello); return p !== 0 && p !== pid; });
    await waitFor('the logger to write', () => existsSync(join(hello, 'log/main/current')) && readFileSync(join(hello, 'log/main/current'), 'utf8').includes('hello from'));
    expect(ext(join(hello, 'log'))?.logger?.kind).toBe('relaxlogs');
    process.kill(svscan.pid!, 'SIGTERM');
    await waitFor('svscan to exit', () => svscan.exitCode !== null || svscan.signalCode !== null, 30_000);
    expect(svscan.exitCode).toBe(0);
    expect(svscan.output()).toContain('"msg":"svscan exits"');
  }, 60_000);

  it.skipIf(!CAN_UNSHARE || !HAVE_MEMCACHED)('runs the container example as PID 1: probes pass, TERM stops it', async () => {
    const scan = sb.path('service');
    cpSync(join(ROOT, 'service-examples/container/service'), scan, { recursive: true, filter: withoutRunState });
    const memcached = join(scan, 'memcached');
    const ns = await startPid1(sb, scan, ['--log-stdout', '--kill-timeout', '5']);
    await upPid(memcached);
    // pod.yaml's probes, as the kubelet runs them (in the container, so against its status files).
    await waitFor('svok', () => run('svok', [memcached]).status === 0);
    await waitFor('svcheck OK', () => run('svcheck', [memcached]).status === 0);
    await waitFor('its built-in logger', () => run('svok', [join(memcached, 'log')]).status === 0 && ext(join(memcached, 'log'))?.logger);
    process.kill(ns.hostPid, 'SIGTERM');
    expect(await exitOf(ns.svscan)).toEqual({ code: 0, signal: null });
    expect(ns.processes()).toEqual([]);
  }, 60_000);
});
