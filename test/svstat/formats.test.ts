// The monitoring formats of svstat, each against its consumer where Debian has one: promtool
// (package prometheus) for the Prometheus text, zabbix_agentd -t (package zabbix-agent) for the
// UserParameters; the Mackerel rules of doc/svstat.md (--format=mackerel); a schema check of the JSON.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, Sandbox } from '../helpers/sandbox.ts';
import { FakeServices, have, run } from './helpers.ts';

const HAVE_PROMTOOL = have('promtool');
const HAVE_ZABBIX = have('zabbix_agentd') || have('/usr/sbin/zabbix_agentd');
const ZABBIX_AGENTD = have('zabbix_agentd') ? 'zabbix_agentd' : '/usr/sbin/zabbix_agentd';
if (!HAVE_PROMTOOL) console.warn('promtool not installed (apt-get install prometheus): Prometheus consumer checks skipped');
if (!HAVE_ZABBIX) console.warn('zabbix_agentd not installed (apt-get install zabbix-agent): Zabbix consumer checks skipped');

const SVSTAT = bin('svstat');

// ---- JSON schema (hand-written: every key present, each of its type or null) ----
type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const bool: Check = (v) => typeof v === 'boolean';
const int: Check = (v) => Number.isInteger(v);
const time: Check = (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(v);
const nul = (c: Check): Check => (v) => v === null || c(v);
const oneOf = (...xs: unknown[]): Check => (v) => xs.includes(v);
const SCHEMA: Record<string, Check> = {
  service: str, dir: str, state: oneOf('up', 'starting', 'down', 'backoff', 'unsupervised', 'error'), error: nul(str),
  supervised: nul(bool), up: nul(bool), ready: nul(bool), wanted: oneOf('up', 'down', 'once', null), normally: oneOf('up', 'down', null),
  paused: nul(bool), pid: nul(int), pgid: nul(int), since: nul(time), uptime_s: nul(int), downtime_s: nul(int),
  ready_since: nul(time), restarts: nul(int), backoff_s: nul(int), backoff_until: nul(time),
  last_exit: (v) => v === null || (typeof v === 'object' && Object.keys(v as object).sort().join() === 'at,code,signal'
    && nul(int)((v as { code: unknown }).code) && nul(str)((v as { signal: unknown }).signal) && nul(time)((v as { at: unknown }).at)),
  log: (v) => v === null || (schemaErrors(v as Record<string, unknown>).length === 0 && (v as { log: unknown }).log === null),
  // svscan's built-in logger's figures (test/svscan/builtin-logger.test.ts); null for every other directory.
  logger: (v) => v === null || (typeof v === 'object' && str((v as { kind: unknown }).kind)),
};
function schemaErrors(o: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const keys = Object.keys(o).sort(), want = Object.keys(SCHEMA).sort();
  if (keys.join() !== want.join()) errors.push(`keys ${keys.join()} != ${want.join()}`);
  for (const [k, check] of Object.entries(SCHEMA)) if (!check(o[k])) errors.push(`${k}: ${JSON.stringify(o[k])}`);
  return errors;
}

describe('svstat monitoring formats', () => {
  let sb: Sandbox;
  let fakes: FakeServices;
  beforeEach(() => { sb = new Sandbox(); fakes = new FakeServices(sb); });
  afterEach(() => { fakes.close(); sb.cleanup(); });

  const now = () => Date.now();
  /** One of each kind; returns the scan directory `svc` holding them. */
  async function zoo(): Promise<string> {
    const t = now();
    await fakes.make('svc/full', { pid: 4242, notificationFd: true, ext: { readySince: t - 98_000, restarts: 3, lastExit: { code: null, signal: 'TERM', at: t - 100_500 } } });
    await fakes.make('svc/plain', { pid: 4243 });
    await fakes.make('svc/notifynoext', { pid: 4244, notificationFd: true });
    await fakes.make('svc/starting', { pid: 4245, notificationFd: true, sinceMs: t - 5_000, ext: { readySince: null, restarts: 1 } });
    await fakes.make('svc/backoff', { pid: 0, ext: { backoffUntil: t + 600_000, restarts: 7, lastExit: { code: 1, signal: null, at: t - 100_000 } } });
    await fakes.make('svc/stopped', { pid: 0, want: 'down', down: true, ext: {} });
    await fakes.make('svc/stale', { pid: 4246, ext: { pid: 999, restarts: 5 } });
    await fakes.make('svc/notrunning', { pid: 4247, running: false });
    await fakes.make('svc/withlog', { pid: 4248, ext: { restarts: 0 } });
    await fakes.make('svc/withlog/log', { pid: 4249, ext: { restarts: 2 } });
    await fakes.make('svc/a.b"c\\d', { pid: 4250 });
    mkdirSync(sb.path('svc/.hidden'));
    writeFileSync(sb.path('svc/plainfile'), '');
    return sb.path('svc');
  }

  it('--json: one object a line, every field present, values as documented', async () => {
    const svc = await zoo();
    const r = run(SVSTAT, ['--json', '--scan', svc]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const missing = run(SVSTAT, ['--json', join(svc, 'missing')]);
    expect(missing).toMatchObject({ code: 0, stderr: '' });
    const lines = (r.stdout + missing.stdout).trimEnd().split('\n');
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const o of objs) expect(schemaErrors(o), String(o.service)).toEqual([]);
    const by = Object.fromEntries(objs.map((o) => [o.service, o]));
    expect(Object.keys(by)).toEqual(['a.b"c\\d', 'backoff', 'full', 'notifynoext', 'notrunning', 'plain', 'stale', 'starting', 'stopped', 'withlog', 'missing']);
    expect(by.full).toMatchObject({ state: 'up', up: true, ready: true, wanted: 'up', normally: 'up', paused: false, pid: 4242, pgid: 4242, restarts: 3, backoff_s: 0, backoff_until: null, last_exit: { code: null, signal: 'TERM' } });
    expect(by.full!.uptime_s).toBeGreaterThanOrEqual(99);
    // Without status.json: ready = up when there is no notification-fd, unknown (null) when there is.
    expect(by.plain).toMatchObject({ state: 'up', ready: true, restarts: null, pgid: null, last_exit: null, backoff_s: null });
    expect(by.plain!.ready_since).toBe(by.plain!.since);
    expect(by.notifynoext).toMatchObject({ up: true, ready: null, ready_since: null });
    expect(by.starting).toMatchObject({ state: 'starting', up: true, ready: false, restarts: 1 });
    expect(by.backoff).toMatchObject({ state: 'backoff', up: false, ready: false, wanted: 'up', pid: 0, pgid: 0, uptime_s: null, restarts: 7, last_exit: { code: 1, signal: null } });
    expect(by.backoff!.backoff_s).toBeGreaterThanOrEqual(1);
    expect(by.backoff!.backoff_s).toBeLessThanOrEqual(600);
    expect(by.stopped).toMatchObject({ state: 'down', wanted: 'down', normally: 'down', downtime_s: expect.any(Number) });
    expect(by.stale).toMatchObject({ up: true, pid: 4246, restarts: null }); // status.json of another child: ignored
    expect(by.notrunning).toMatchObject({ state: 'unsupervised', supervised: false, up: false, pid: null, error: 'supervise not running' });
    expect(by.missing).toMatchObject({ state: 'unsupervised', up: false, error: 'unable to chdir: file does not exist' });
    expect(by.withlog!.log).toMatchObject({ service: 'withlog/log', up: true, pid: 4249, restarts: 2, log: null });
  });

  it('-o: bare values, one line per directory, empty when unknown', async () => {
    const svc = await zoo();
    const fields = 'up,ready,wantedup,normallyup,paused,pid,pgid,restarts,exitcode,signal,state,logup,logpid';
    const dirs = ['full', 'plain', 'notifynoext', 'backoff', 'stopped', 'notrunning', 'withlog', 'missing'].map((n) => join(svc, n));
    const r = run(SVSTAT, ['-o', fields, ...dirs]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe([
      ['1', '1', '1', '1', '0', '4242', '4242', '3', '-1', 'TERM', 'up', '', ''],
      ['1', '1', '1', '1', '0', '4243', '', '', '', '', 'up', '', ''],
      ['1', '', '1', '1', '0', '4244', '', '', '', '', 'up', '', ''],
      ['0', '0', '1', '1', '0', '0', '0', '7', '1', 'none', 'backoff', '', ''],
      ['0', '0', '0', '0', '0', '0', '0', '0', '', '', 'down', '', ''],
      ['0', '0', '', '1', '', '', '', '', '', '', 'unsupervised', '', ''],
      ['1', '1', '1', '1', '0', '4248', '4248', '0', '', '', 'up', '1', '4249'],
      ['0', '0', '', '', '', '', '', '', '', '', 'unsupervised', '', ''],
    ].map((values) => `${values.join(' ')}\n`).join(''));
    const backoff = Number(run(SVSTAT, ['-o', 'backoff', join(svc, 'backoff')]).stdout);
    expect(backoff).toBeGreaterThanOrEqual(1);
    expect(backoff).toBeLessThanOrEqual(600);
    expect(run(SVSTAT, ['-o', 'backoff', join(svc, 'plain')]).stdout).toBe('\n');
    // Single values, as a Zabbix item reads them; the `-oFIELD` form; whole seconds.
    expect(run(SVSTAT, ['-oup', join(svc, 'full')]).stdout).toBe('1\n');
    const updown = Number(run(SVSTAT, ['-o', 'updownfor', join(svc, 'full')]).stdout);
    expect(updown).toBeGreaterThanOrEqual(99);
    expect(updown).toBeLessThan(200);
    expect(Number(run(SVSTAT, ['-o', 'readyfor', join(svc, 'full')]).stdout)).toBeGreaterThanOrEqual(97);
    expect(run(SVSTAT, ['-o', 'readyfor', join(svc, 'starting')]).stdout).toBe('0\n');
    expect(run(SVSTAT, ['-o', 'nosuchfield', join(svc, 'full')])).toMatchObject({ code: 100, stdout: '' });
  });

  it('--format=zabbix-lld lists the services of scan directories', async () => {
    const svc = await zoo();
    const r = run(SVSTAT, ['--format=zabbix-lld', svc]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Record<string, string>[];
    expect(list.map((o) => o['{#SERVICE}'])).toEqual(['a.b"c\\d', 'backoff', 'full', 'notifynoext', 'notrunning', 'plain', 'stale', 'starting', 'stopped', 'withlog']);
    expect(list[2]).toEqual({ '{#SERVICE}': 'full', '{#SERVICE.DIR}': join(svc, 'full') });
    expect(run(SVSTAT, ['--format', 'zabbix-lld', sb.path('empty-missing')]).code).toBe(111);
  });

  it.skipIf(!HAVE_ZABBIX)('zabbix_agentd -t evaluates UserParameters that call svstat', async () => {
    const svc = await zoo();
    const conf = sb.path('zabbix_agentd.conf');
    writeFileSync(conf, [
      'LogType=console', `PidFile=${sb.path('zabbix_agentd.pid')}`, 'AllowRoot=1', 'Timeout=10',
      `UserParameter=sv.discovery,${SVSTAT} --format=zabbix-lld ${svc}`,
      `UserParameter=sv.up[*],${SVSTAT} -o up ${svc}/$1`,
      `UserParameter=sv.ready[*],${SVSTAT} -o ready ${svc}/$1`,
      `UserParameter=sv.uptime[*],${SVSTAT} -o updownfor ${svc}/$1`,
      `UserParameter=sv.restarts[*],${SVSTAT} -o restarts ${svc}/$1`,
      '',
    ].join('\n'));
    const item = (key: string) => {
      const r = run(ZABBIX_AGENTD, ['-c', conf, '-t', key]);
      const m = /\[t\|([\s\S]*)\]\s*$/.exec(r.stdout);
      expect(m, `${key}: ${r.stdout}${r.stderr}`).not.toBeNull();
      return m![1]!;
    };
    expect(item('sv.up[full]')).toBe('1');
    expect(item('sv.up[backoff]')).toBe('0');
    expect(item('sv.up[missing]')).toBe('0'); // nothing on stderr: the agent would append it to the value
    expect(item('sv.ready[starting]')).toBe('0');
    expect(item('sv.restarts[backoff]')).toBe('7');
    expect(Number(item('sv.uptime[full]'))).toBeGreaterThanOrEqual(99);
    const lld = JSON.parse(item('sv.discovery')) as Record<string, string>[];
    expect(lld.map((o) => o['{#SERVICE}'])).toContain('withlog');
  });

  it('--format=prometheus: HELP and TYPE for each metric, escaped labels, unknowns left out', async () => {
    const svc = await zoo();
    const r = run(SVSTAT, ['--format=prometheus', '--scan', svc]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(/^(# (HELP|TYPE) supervise_\w+ .+|supervise_\w+\{service="(?:[^"\\\n]|\\["\\n])*"\} -?[\d.]+)$/);
    expect(lines).toContain('supervise_service_up{service="full"} 1');
    expect(lines).toContain('supervise_service_restarts_total{service="full"} 3');
    expect(lines).toContain('supervise_service_up{service="withlog/log"} 1');
    expect(lines).toContain('supervise_service_up{service="a.b\\"c\\\\d"} 1');
    expect(lines).toContain('supervise_service_last_exit_code{service="full"} -1');
    expect(lines).toContain('# TYPE supervise_service_restarts_total counter');
    expect(lines.filter((l) => l.startsWith('supervise_service_restarts_total{service="plain"}'))).toEqual([]);
    for (const name of new Set(lines.filter((l) => !l.startsWith('#')).map((l) => l.split('{')[0]))) {
      expect(lines.filter((l) => l === `# TYPE ${name} gauge` || l === `# TYPE ${name} counter`)).toHaveLength(1);
    }
    if (HAVE_PROMTOOL) {
      const check = await promtool(r.stdout);
      expect(check, check.out).toMatchObject({ code: 0 });
    }
  });

  it('--textfile writes svtools.prom (or NAME.prom) atomically, promtool-clean, no temporary left', async () => {
    const svc = await zoo();
    const out = sb.path('textfile');
    mkdirSync(out);
    expect(run(SVSTAT, ['--textfile', out, '--scan', svc])).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(run(SVSTAT, ['--format=prometheus', `--textfile=${out}`, '--textfile-name', 'other.prom', join(svc, 'full')]).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['other.prom', 'svtools.prom']);
    const text = readFileSync(join(out, 'svtools.prom'), 'utf8');
    const strip = (t: string) => t.replace(/^(supervise_service_backoff_seconds\{service="backoff"\}) \d+$/m, '$1 N');
    expect(strip(text)).toBe(strip(run(SVSTAT, ['--format=prometheus', '--scan', svc]).stdout));
    if (HAVE_PROMTOOL) expect(await promtool(text)).toMatchObject({ code: 0 });
    expect(run(SVSTAT, ['--textfile', out, '--textfile-name', 'x.txt', svc]).code).toBe(100);
    expect(run(SVSTAT, ['--textfile', sb.path('nodir'), svc]).code).toBe(111);

    // Readers racing 8 rewrites never see a partial file.
    const writer = spawn('sh', ['-c', `for i in $(seq 8); do '${SVSTAT}' --textfile '${out}' --scan '${svc}' || exit 1; done`], { stdio: 'ignore' });
    const done = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    let exited = false;
    void done.then(() => { exited = true; });
    const expectedLines = text.split('\n').length;
    let reads = 0;
    while (!exited) {
      const seen = readFileSync(join(out, 'svtools.prom'), 'utf8');
      expect(seen.endsWith('\n')).toBe(true);
      expect(seen.split('\n').length).toBe(expectedLines);
      reads++;
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await done).toBe(0);
    expect(reads).toBeGreaterThan(0);
    expect(readdirSync(out).sort()).toEqual(['other.prom', 'svtools.prom']);
  });

  it('--format=mackerel: name\\tvalue\\tepoch lines by the agent\'s rules, and graph definitions', async () => {
    const svc = await zoo();
    const r = run(SVSTAT, ['--format=mackerel', '--scan', svc], { env: { ...process.env, MACKEREL_AGENT_PLUGIN_META: '' } });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const nowS = Date.now() / 1000;
    const lines = r.stdout.trimEnd().split('\n');
    const graphs = new Set<string>();
    for (const l of lines) {
      const [name, value, epoch, ...rest] = l.split('\t');
      expect(rest).toEqual([]);
      expect(name).toMatch(/^[-a-zA-Z0-9_.]+$/);
      expect(name!.split('.')).toHaveLength(3); // prefix.metric.service: the service is the last component
      expect(Number.isFinite(Number(value))).toBe(true);
      expect(Math.abs(Number(epoch) - nowS)).toBeLessThan(86_400);
      graphs.add(name!.slice(0, name!.lastIndexOf('.')));
    }
    expect(lines).toContain(`supervise.restarts.full\t3\t${lines[0]!.split('\t')[2]}`);
    expect(lines.some((l) => l.startsWith('supervise.up.a_b_c_d\t1\t'))).toBe(true);
    expect(lines.some((l) => l.startsWith('supervise.up.withlog_log\t1\t'))).toBe(true);
    expect(lines.some((l) => l.startsWith('supervise.restarts.plain\t'))).toBe(false);

    const meta = run(SVSTAT, ['--format=mackerel', '--scan', svc], { env: { ...process.env, MACKEREL_AGENT_PLUGIN_META: '1' } });
    const [header, json, ...more] = meta.stdout.trimEnd().split('\n');
    expect(header).toBe('# mackerel-agent-plugin');
    expect(more).toEqual([]);
    const def = JSON.parse(json!) as { graphs: Record<string, { label: string; unit: string; metrics: { name: string; label: string }[] }> };
    expect(Object.keys(def)).toEqual(['graphs']);
    for (const g of graphs) expect(def.graphs[g], g).toBeDefined();
    for (const [key, g] of Object.entries(def.graphs)) {
      expect(key.startsWith('custom.')).toBe(false);
      expect(typeof g.label).toBe('string');
      expect(['float', 'integer', 'percentage', 'seconds', 'milliseconds', 'bytes', 'bytes/sec', 'bits/sec', 'iops']).toContain(g.unit);
      expect(g.metrics).toEqual([{ name: '*', label: '%1' }]);
    }
  });

  it('usage errors exit 100; --help prints the usage', () => {
    expect(run(SVSTAT, ['--json', '--bogus', 'x'])).toMatchObject({ code: 100, stdout: '' });
    expect(run(SVSTAT, ['--format=xml', 'x']).code).toBe(100);
    expect(run(SVSTAT, ['-o'])).toMatchObject({ code: 100 });
    const help = run(SVSTAT, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('svstat --json');
  });
});

function promtool(text: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve({ code, out }));
    p.stdin.end(text);
  });
}
