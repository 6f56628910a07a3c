// Logging's memory and speed side by side, in one run: N services (each a shell loop printing a line a
// second), each with a logger, under
//   - svtools' svscan with the built-in logger (log/relaxlogs: no process per logger),
//   - svtools' svscan with log/run = `exec relaxlogs --log-dir ./main` (bin/relaxlogs, a process each),
//   - daemontools: /usr/bin/svscan, log/run = `exec multilog t ./main`,
//   - runit: /usr/bin/runsvdir, log/run = `exec svlogd -tt ./main`,
//   - s6: /usr/bin/s6-svscan, log/run = `exec s6-log t ./main`.
// Memory is that of everything but the services themselves (scanner, supervisors, loggers): RSS summed
// per process, and PSS (shared pages split between their sharers, /proc/PID/smaps_rollup). Measured
// once every logger has written its first line, after a 3 s settle. Per-logger marginal cost =
// (total at the larger N - total at the smaller) / difference.
// Then throughput with timestamps: one service writing 100-byte lines flat out (`yes`), built-in logger
// vs s6-log, lines landed in the log files per second over a few seconds (both rotating at 16 MiB).
// Never a pass/fail test.
// Last, supervision's answer (svc -t of an idle service, or the byte t written into its control fifo, to
// its new pid) with ten services logging flat out beside it, through the built-in logger or log/run
// relaxlogs, against nothing beside it.
//   node bench/logging.bench.mjs   (LOGGING_BENCH_SIZES=10,100  LOGGING_BENCH_SECONDS=5
//                                   LOGGING_BENCH_PARTS=memory,throughput,restarts)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { children, memoryOf, sleep, statusPid, waitFor } from './svscan-helpers.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const SVSCAN = path.join(root, 'bin', 'svscan');
const RELAXLOGS = path.join(root, 'bin', 'relaxlogs');
const SIZES = (process.env.LOGGING_BENCH_SIZES ?? '10,100').split(',').map(Number);
const SECONDS = Number(process.env.LOGGING_BENCH_SECONDS ?? 5);
const MARK = 'logging-bench-service';
const PARTS = new Set((process.env.LOGGING_BENCH_PARTS ?? 'memory,throughput,restarts').split(','));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'logging-bench-'));
/** Process groups (and pids) started here: killed at exit, whatever happened. */
const started = new Set();
process.on('exit', () => {
  for (const pid of started) {
    for (const target of [-pid, pid]) { try { process.kill(target, 'SIGKILL'); } catch { /* gone */ } }
  }
  fs.rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const has = (file) => fs.existsSync(file);
const SUITES = [
  // The reference: the same services with no logger at all (their output goes to svscan's stdout).
  { name: 'svtools, no logs', scanner: [SVSCAN, '--log-format', 'json', '--log-level', 'warn'], files: null, ok: true },
  { name: 'svtools built-in', scanner: [SVSCAN, '--log-format', 'json', '--log-level', 'warn'], files: { relaxlogs: '--log-dir ./main --with-time\n' }, ok: true },
  { name: 'svtools + relaxlogs', scanner: [SVSCAN, '--log-format', 'json', '--log-level', 'warn'], files: { run: `#!/bin/sh\nexec ${RELAXLOGS} --log-dir ./main --with-time\n` }, ok: true },
  { name: 'daemontools + multilog', scanner: ['/usr/bin/svscan'], files: { run: '#!/bin/sh\nexec multilog t ./main\n' }, ok: has('/usr/bin/svscan') && has('/usr/bin/multilog') },
  { name: 'runit + svlogd', scanner: ['/usr/bin/runsvdir', '-P'], files: { run: '#!/bin/sh\nexec svlogd -tt ./main\n' }, ok: has('/usr/bin/runsvdir') && has('/usr/bin/svlogd') },
  { name: 's6 + s6-log', scanner: ['/usr/bin/s6-svscan'], files: { run: '#!/bin/sh\nexec s6-log t ./main\n' }, ok: has('/usr/bin/s6-svscan') && has('/usr/bin/s6-log') },
];

function makeServices(scan, n, suite, runScript = `#!/bin/sh\nexec sh -c 'while :; do echo tick; sleep 1; done' ${MARK}\n`) {
  fs.mkdirSync(scan, { recursive: true });
  const dirs = [];
  for (let i = 0; i < n; i++) {
    const dir = path.join(scan, `s${String(i).padStart(4, '0')}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'run'), runScript, { mode: 0o755 });
    if (!suite.files) { dirs.push(dir); continue; }
    // svlogd wants its directory made; the others make it themselves and accept it made.
    fs.mkdirSync(path.join(dir, 'log', 'main'), { recursive: true });
    for (const [name, text] of Object.entries(suite.files)) fs.writeFileSync(path.join(dir, 'log', name), text, { mode: name === 'run' ? 0o755 : 0o644 });
    dirs.push(dir);
  }
  return dirs;
}

const isService = (pid) => { try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(MARK); } catch { return false; } };

/** Every process under `pid`; `services` true: only the services, false: everything but them (and theirs). */
function tree(pid, out = { services: [], others: [] }) {
  if (isService(pid)) { out.services.push(pid); return out; }
  out.others.push(pid);
  for (const c of children(pid)) tree(c, out);
  return out;
}

function memoryOfTree(pid) {
  const { others } = tree(pid);
  let rss = 0, pss = 0;
  for (const p of others) { const m = memoryOf(p); rss += m.rss; pss += m.pss; }
  return { processes: others.length, rssKB: rss, pssKB: pss };
}

const wrote = (dir) => { try { return fs.statSync(path.join(dir, 'log', 'main', 'current')).size > 0; } catch { return false; } };

function startScanner(suite, scan) {
  const child = spawn(suite.scanner[0], [...suite.scanner.slice(1), scan], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  started.add(child.pid);
  return child;
}

/** Stops a scanner tree and everything under it: the orderly way first, then KILL to whatever is left. */
async function stopScanner(suite, child, scan) {
  const everyone = new Set();
  const collect = () => { const t = tree(child.pid); for (const p of [...t.others, ...t.services]) everyone.add(p); for (const p of t.services) for (const c of children(p)) everyone.add(c); };
  collect();
  if (suite.scanner[0] === '/usr/bin/s6-svscan') spawnSync('s6-svscanctl', ['-t', scan]);
  else if (suite.scanner[0] === '/usr/bin/runsvdir') process.kill(child.pid, 'SIGHUP');
  else process.kill(child.pid, 'SIGTERM');
  if (suite.scanner[0] === '/usr/bin/svscan') {
    const dirs = fs.readdirSync(scan).flatMap((d) => [path.join(scan, d), path.join(scan, d, 'log')]);
    for (let i = 0; i < dirs.length; i += 200) spawnSync('svc', ['-dx', ...dirs.slice(i, i + 200)]);
  }
  await sleep(2000);
  for (const p of everyone) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  started.delete(child.pid);
}

async function measureMemory(suite, n) {
  const scan = path.join(work, `${suite.name.replace(/\W+/g, '-')}-${n}`);
  const dirs = makeServices(scan, n, suite);
  const t0 = Date.now();
  const child = startScanner(suite, scan);
  await waitFor(`${suite.name}: ${n} loggers writing`, () => dirs.every((d) => (suite.files ? wrote(d) : tree(child.pid).services.length >= n)), 300_000);
  const upMs = Date.now() - t0;
  await sleep(3000);
  const mem = memoryOfTree(child.pid);
  await stopScanner(suite, child, scan);
  return { ...mem, upMs };
}

/** One service writing 100-byte lines flat out; lines landed per second once it runs. */
async function measureThroughput(suite) {
  const scan = path.join(work, `tp-${suite.name.replace(/\W+/g, '-')}`);
  const line = 'x'.repeat(99);
  const rotate = suite.name.includes('built-in')
    ? { ...suite, files: { relaxlogs: '--log-dir ./main --with-time --rotation-time 1440 --rotation-size 16MiB --max-age 0\n' } }
    : { ...suite, files: { run: '#!/bin/sh\nexec s6-log t s16777215 n1000 ./main\n' } };
  const [dir] = makeServices(scan, 1, rotate, `#!/bin/sh\nexec yes ${line}\n`);
  const child = startScanner(rotate, scan);
  const main = path.join(dir, 'log', 'main');
  await waitFor(`${suite.name}: writing`, () => wrote(dir), 60_000);
  const bytes = () => fs.readdirSync(main).filter((f) => f !== 'lock' && f !== 'current' && f !== 'state' && !f.endsWith('.new'))
    .reduce((sum, f) => { try { return sum + fs.statSync(path.join(main, f)).size; } catch { return sum; } }, 0)
    + (suite.name.includes('built-in') ? 0 : fs.statSync(path.join(main, 'current')).size);
  await sleep(1000);
  const b0 = bytes(), t0 = Date.now();
  await sleep(SECONDS * 1000);
  const b1 = bytes(), t1 = Date.now();
  const first = fs.readFileSync(path.join(main, 'current'), 'latin1').split('\n')[0];
  const lineBytes = first.length + 1;
  // `yes` is the service here, not a loop carrying the mark: stop it by the service directory's pid.
  const servicePid = children(child.pid).flatMap((p) => [p, ...children(p)]).find((p) => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('yes'); } catch { return false; } });
  if (servicePid) started.add(servicePid);
  await stopScanner(rotate, child, scan);
  const seconds = (t1 - t0) / 1000;
  return { linesPerS: (b1 - b0) / lineBytes / seconds, inputMBs: ((b1 - b0) / lineBytes) * 100 / seconds / 1e6, lineBytes };
}

/**
 * Supervision while others log: `svc -t` of an idle service until its status names a new pid, sampled
 * `samples` times (1.2 s apart: the start hold), with `loud` services writing 100-byte lines flat out
 * (`yes`) through the given logger next to it, or none.
 */
async function measureRestarts(label, loud, logFiles, suite = { scanner: [SVSCAN, '--log-format', 'json', '--log-level', 'warn'] }, svc = path.join(root, 'bin', 'svc'), samples = 10) {
  const scan = path.join(work, `restarts-${label.replace(/\W+/g, '-')}`);
  const [target] = makeServices(scan, 1, { files: null }, '#!/bin/sh\nexec sleep 1000000\n');
  for (let i = 0; i < loud; i++) {
    const dir = path.join(scan, `loud${i}`);
    fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'run'), `#!/bin/sh\nexec yes ${'x'.repeat(99)}\n`, { mode: 0o755 });
    for (const [name, text] of Object.entries(logFiles)) fs.writeFileSync(path.join(dir, 'log', name), text, { mode: name === 'run' ? 0o755 : 0o644 });
  }
  const child = startScanner(suite, scan);
  await waitFor('target up', () => statusPid(target) > 0, 60_000);
  await sleep(3000); // the loud ones at full speed
  // Two ways, taking turns: our svc (a Node process starting beside the loud ones), and the byte `t`
  // written straight into supervise/control (svscan's own reaction, as daemontools' svc would see it).
  const times = { svc: [], byte: [] };
  const control = path.join(target, 'supervise', 'control');
  for (let i = 0; i < 2 * samples; i++) {
    await sleep(1200);
    const old = statusPid(target);
    const t0 = process.hrtime.bigint();
    if (i % 2 === 0) spawnSync(svc, ['-t', target]);
    else {
      const fd = fs.openSync(control, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      fs.writeSync(fd, 't');
      fs.closeSync(fd);
    }
    await waitFor('a new pid', () => { const p = statusPid(target); return p && p !== old; }, 30_000, 2);
    times[i % 2 === 0 ? 'svc' : 'byte'].push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const pids = fs.readdirSync(scan).map((d) => statusPid(path.join(scan, d)));
  for (const p of pids) if (p) started.add(p);
  await stopScanner(suite, child, scan);
  const summary = (xs) => {
    xs.sort((a, b) => a - b);
    return { median: xs[Math.floor(xs.length / 2)], p90: xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))], max: xs.at(-1) };
  };
  return { svc: summary(times.svc), byte: summary(times.byte) };
}

const mb = (kb) => (kb / 1024).toFixed(1);
console.log(`logging bench: node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const s of SUITES) if (!s.ok) console.log(`  ${s.name}: not installed, skipped`);
const suites = SUITES.filter((s) => s.ok);
const results = {};
for (const n of PARTS.has('memory') ? SIZES : []) {
  for (const suite of suites) {
    try {
      const r = await measureMemory(suite, n);
      results[`${suite.name}@${n}`] = r;
      console.log(`  measured ${suite.name} at ${n}: ${r.processes} processes, RSS ${mb(r.rssKB)} MB, PSS ${mb(r.pssKB)} MB, all logging in ${r.upMs} ms`);
    } catch (err) {
      console.log(`  ${suite.name} at ${n}: ${err.message}`);
    }
  }
}
if (PARTS.has('memory')) {
  console.log('\nMemory of everything but the services: scanner, supervisors, loggers (N services, each with a logger)');
  console.log(`| suite | ${SIZES.map((n) => `N=${n} procs | RSS MB | PSS MB`).join(' | ')} | marginal RSS KB/logger | marginal PSS KB/logger |`);
  console.log(`| --- | ${SIZES.map(() => '--- | --- | ---').join(' | ')} | --- | --- |`);
  const lo = Math.min(...SIZES), hi = Math.max(...SIZES);
  for (const suite of suites) {
    const cells = SIZES.map((n) => { const r = results[`${suite.name}@${n}`]; return r ? `${r.processes} | ${mb(r.rssKB)} | ${mb(r.pssKB)}` : '- | - | -'; });
    const a = results[`${suite.name}@${lo}`], b = results[`${suite.name}@${hi}`];
    const marginal = (k) => (a && b && hi > lo ? ((b[k] - a[k]) / (hi - lo)).toFixed(0) : '-');
    // Without logs, the marginal cost is a service's (its supervise worker), not a logger's.
    console.log(`| ${suite.name} | ${cells.join(' | ')} | ${marginal('rssKB')} | ${marginal('pssKB')} |`);
}

}

if (PARTS.has('throughput')) {
  console.log(`\nThroughput with timestamps: one service (yes, 100-byte lines) flat out, ${SECONDS} s, rotation at 16 MiB`);
  console.log('| logger | lines/s | input MB/s | bytes per logged line |');
  console.log('| --- | --- | --- | --- |');
  for (const suite of suites.filter((s) => s.name === 'svtools built-in' || s.name === 's6 + s6-log')) {
    try {
      const r = await measureThroughput(suite);
      console.log(`| ${suite.name} | ${Math.round(r.linesPerS)} | ${r.inputMBs.toFixed(1)} | ${r.lineBytes} |`);
    } catch (err) {
      console.log(`| ${suite.name} | ${err.message} | | |`);
    }
}
}

const LOUD = 10;
const bounded = '--log-dir ./main --with-time --rotation-time 1440 --rotation-size 4MiB --rotation-count 2 --max-age 0\n';
if (PARTS.has('restarts')) {
  console.log(`\nSupervision while ${LOUD} services log flat out: an idle service told to restart, until its new pid is in its status (ms, 10 samples each way, taking turns): by our svc -t, and by the byte t written into its supervise/control`);
  console.log('| beside it | svc -t median | p90 | max | control byte median | p90 | max |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  // daemontools beside it, for scale: its own svc and svscan, ten loud services into multilog.
  const daemontools = has('/usr/bin/svscan') && has('/usr/bin/multilog') && has('/usr/bin/svc')
    ? [{ scanner: ['/usr/bin/svscan'] }, '/usr/bin/svc'] : undefined;
  for (const [label, loud, files, ...theirs] of [
    ['nothing (no logging)', 0, {}],
    [`${LOUD} loud services, built-in logger`, LOUD, { relaxlogs: bounded }],
    [`${LOUD} loud services, log/run relaxlogs`, LOUD, { run: `#!/bin/sh\nexec ${RELAXLOGS} ${bounded.trim()}\n` }],
    ...(daemontools ? [
      ['daemontools: nothing (no logging)', 0, {}, ...daemontools],
      [`daemontools: ${LOUD} loud services, log/run multilog`, LOUD, { run: '#!/bin/sh\nexec multilog t s4194304 n2 ./main\n' }, ...daemontools],
    ] : []),
  ]) {
    try {
      const r = await measureRestarts(label, loud, files, ...theirs);
      const cells = (x) => `${x.median.toFixed(1)} | ${x.p90.toFixed(1)} | ${x.max.toFixed(1)}`;
      console.log(`| ${label} | ${cells(r.svc)} | ${cells(r.byte)} |`);
    } catch (err) {
      console.log(`| ${label} | ${err.message} | | |`);
    }
}
}
