// The long fault cases of doc/reliability.md, with their figures (the quick ones are test/faults/):
//  - scale: 1,000 and 5,000 services (daemontools' svscan beside ours at 1,000): time until all are
//    up, RSS/PSS of the supervision tree, its idle CPU over 10 s, one `svstat` of all, stop time;
//  - svscan stopped (SIGSTOP) for 30 s: services keep running, a command sent meanwhile is applied
//    right after SIGCONT;
//  - 20 kill -9 of svscan in a row, a new svscan after each: ./run takes a lock, so a second ./run of
//    the same service at once would be recorded;
//  - a service forking 5,000 short-lived children: svscan's CPU and RSS, svc -t still answered;
//  - a service writing to its log pipe far faster than its logger drains it: svscan's RSS sampled
//    each second (it must stay flat: the pipe blocks the writer, svscan buffers nothing).
// Usage: npm run bench -- faults      (FAULTS_BENCH=scale,stop,kill9,fork,flood to pick; FAULTS_SIZES=1000,5000)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeServices, memoryOf, sleep, statusPid, treeMemory, waitFor } from './svscan-helpers.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = (name) => path.join(root, 'bin', name);
const THEIRS = '/usr/bin/svscan';
const HAVE_THEIRS = fs.existsSync(THEIRS) && spawnSync('sh', ['-c', 'command -v supervise']).status === 0;
const ONLY = (process.env.FAULTS_BENCH ?? 'scale,stop,kill9,fork,flood').split(',');
const SIZES = (process.env.FAULTS_SIZES ?? '1000,5000').split(',').map(Number);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-bench-'));
const groups = [];
process.on('exit', () => {
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } }
  // Services left by a killed svscan run in their own sessions: found by their directory.
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try { if (fs.readlinkSync(`/proc/${entry}/cwd`).startsWith(work)) process.kill(Number(entry), 'SIGKILL'); } catch { /* gone */ }
  }
  fs.rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

const alive = (pid) => { try { return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'); } catch { return false; } };
const cpuTicks = (pid) => { try { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); } catch { return 0; } };
const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const mb = (kb) => (kb / 1024).toFixed(1);

function startOurs(scan, args = []) {
  const child = spawn(BIN('svscan'), [scan, '--log-format', 'json', '--log-level', 'warn', ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { log += d; });
  groups.push(child.pid);
  return Object.assign(child, { log: () => log });
}

async function scale(tool, n) {
  const scan = path.join(work, `scale-${tool}-${n}`);
  const dirs = makeServices(scan, n);
  const t0 = performance.now();
  const child = tool === 'ours' ? startOurs(scan) : spawn(THEIRS, [scan], { stdio: 'ignore', detached: true });
  groups.push(child.pid);
  // All up, or as many as svscan's descriptor limit allows (about 4 per service: lock, control
  // read and held-open write ends, ok): stop waiting once the count has not grown for 30 s.
  let count = 0, grewAt = performance.now();
  while (count < n && performance.now() - grewAt < 30_000) {
    await sleep(200);
    const now = dirs.filter((d) => statusPid(d) > 0).length;
    if (now > count) { count = now; grewAt = performance.now(); }
  }
  const upMs = (count === n ? performance.now() : grewAt) - t0;
  const nofile = /Max open files\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/limits`, 'utf8'))?.[1];
  await sleep(5000);
  const pids = dirs.map(statusPid);
  const mem = treeMemory(child.pid, pids);
  // Idle CPU of the supervision tree (scanner + supervise processes) over 10 s.
  const tree = () => { const services = new Set(pids); const out = []; const walk = (p) => { if (services.has(p)) return; out.push(p); for (const c of fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) walk(c); }; walk(child.pid); return out; };
  const members = tree();
  const before = members.reduce((s, p) => s + cpuTicks(p), 0);
  await sleep(10_000);
  const idleCpuPct = ((members.reduce((s, p) => s + cpuTicks(p), 0) - before) * TICK_MS) / 10_000 * 100;
  const s0 = performance.now();
  const svstat = spawnSync(tool === 'ours' ? BIN('svstat') : 'svstat', dirs, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const svstatMs = performance.now() - s0;
  const upLines = svstat.stdout.split('\n').filter((l) => / up \(pid \d+\)/.test(l)).length;
  const d0 = performance.now();
  process.kill(child.pid, 'SIGTERM');
  if (tool !== 'ours') for (let i = 0; i < dirs.length; i += 500) spawnSync('svc', ['-dx', ...dirs.slice(i, i + 500)]);
  await waitFor(`${tool}: ${n} down`, () => pids.every((p) => p === 0 || !alive(p)), 600_000, 100);
  const stopMs = performance.now() - d0;
  return { n, tool, upMs, count, nofile, ...mem, idleCpuPct, svstatMs, upLines, stopMs };
}

const LOCKED_RUN = '#!/bin/sh\nexec 9>>run.lock\nif ! flock -n 9; then echo DUPLICATE >> starts; exit 1; fi\necho $$ >> starts\nexec sleep 100000\n';

async function stop30() {
  const scan = path.join(work, 'stop');
  const dirs = makeServices(scan, 10);
  const svscan = startOurs(scan);
  await waitFor('10 up', () => dirs.every((d) => statusPid(d) > 0));
  const pids = dirs.map(statusPid);
  process.kill(svscan.pid, 'SIGSTOP');
  spawnSync(BIN('svc'), ['-d', dirs[0]]);
  spawnSync(BIN('svc'), ['-t', dirs[1]]);
  await sleep(30_000);
  const aliveAfter = pids.filter(alive).length;
  const t0 = performance.now();
  process.kill(svscan.pid, 'SIGCONT');
  await waitFor('commands applied', () => statusPid(dirs[0]) === 0 && statusPid(dirs[1]) !== pids[1] && statusPid(dirs[1]) > 0);
  const appliedMs = performance.now() - t0;
  process.kill(svscan.pid, 'SIGTERM');
  return { services: 10, aliveAfter, appliedMs, svscanAlive: alive(svscan.pid) };
}

async function kill9(rounds) {
  const scan = path.join(work, 'kill9');
  fs.mkdirSync(scan);
  const dirs = Array.from({ length: 20 }, (_, i) => { const d = path.join(scan, `k${i}`); fs.mkdirSync(d); fs.writeFileSync(path.join(d, 'run'), LOCKED_RUN, { mode: 0o755 }); return d; });
  const t0 = performance.now();
  for (let round = 0; round < rounds; round++) {
    const svscan = startOurs(scan);
    await waitFor('all up', () => dirs.every((d) => statusPid(d) > 0));
    if (round % 2) await sleep(200);
    process.kill(svscan.pid, 'SIGKILL');
    await waitFor('svscan gone', () => !alive(svscan.pid));
  }
  const last = startOurs(scan);
  await waitFor('all supervised', () => dirs.every((d) => spawnSync(BIN('svok'), [d]).status === 0));
  const starts = dirs.map((d) => fs.readFileSync(path.join(d, 'starts'), 'utf8').trim().split('\n'));
  process.kill(last.pid, 'SIGTERM');
  return { rounds, services: dirs.length, duplicates: starts.flat().filter((l) => l === 'DUPLICATE').length, extraStarts: starts.reduce((s, l) => s + l.length - 1, 0), ms: performance.now() - t0 };
}

async function forkStorm() {
  const scan = path.join(work, 'fork');
  const [quiet] = makeServices(scan, 1);
  const forker = path.join(scan, 'forker');
  fs.mkdirSync(forker);
  fs.writeFileSync(path.join(forker, 'run'), '#!/bin/sh\ni=0\nwhile [ $i -lt 5000 ]; do /bin/true & i=$((i+1)); done\nwait\necho done > forked\nexec sleep 100000\n', { mode: 0o755 });
  const svscan = startOurs(scan);
  const cpu0 = cpuTicks(svscan.pid);
  const t0 = performance.now();
  await waitFor('5,000 children forked and reaped', () => fs.existsSync(path.join(forker, 'forked')), 600_000, 100);
  const forkMs = performance.now() - t0;
  const cpuMs = (cpuTicks(svscan.pid) - cpu0) * TICK_MS;
  const rssKB = memoryOf(svscan.pid).rss;
  const pid = statusPid(quiet);
  const c0 = performance.now();
  spawnSync(BIN('svc'), ['-t', quiet]);
  await waitFor('svc -t answered', () => statusPid(quiet) !== pid && statusPid(quiet) > 0);
  const svcMs = performance.now() - c0;
  process.kill(svscan.pid, 'SIGTERM');
  return { forkMs, svscanCpuMs: cpuMs, rssKB, svcMs, forkerUp: statusPid(forker) > 0 };
}

async function flood() {
  const scan = path.join(work, 'flood');
  const dir = path.join(scan, 'flood');
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'run'), '#!/bin/sh\nexec yes "a line of output at full speed, far faster than the logger drains it"\n', { mode: 0o755 });
  // The logger reads 4 KiB a second: the writer spends its life blocked on a full pipe.
  fs.writeFileSync(path.join(dir, 'log/run'), '#!/bin/sh\nwhile :; do head -c 4096 > /dev/null; sleep 1; done\n', { mode: 0o755 });
  const svscan = startOurs(scan);
  await waitFor('flood up', () => statusPid(dir) > 0 && statusPid(path.join(dir, 'log')) > 0);
  const samples = [];
  for (let i = 0; i < 30; i++) { await sleep(1000); samples.push(memoryOf(svscan.pid).rss); }
  process.kill(svscan.pid, 'SIGTERM');
  return { samples: samples.length, firstKB: samples[0], maxKB: Math.max(...samples), lastKB: samples.at(-1) };
}

console.log(`faults bench: node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (ONLY.includes('scale')) {
  const rows = [];
  for (const n of SIZES) rows.push(await scale('ours', n));
  if (HAVE_THEIRS && SIZES.includes(1000)) rows.push(await scale('daemontools', 1000));
  else if (!HAVE_THEIRS) console.log('daemontools is not installed (apt-get install daemontools): ours only');
  console.log('\nScale (supervision tree = scanner + supervise processes; services excluded)');
  console.log('| tool | services | up | fd limit | all up s | procs | RSS MB | PSS MB | idle CPU % | svstat of all ms | up lines | stop s |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.tool} | ${r.n} | ${r.count} | ${r.nofile} | ${(r.upMs / 1000).toFixed(1)} | ${r.processes} | ${mb(r.rssKB)} | ${mb(r.pssKB)} | ${r.idleCpuPct.toFixed(2)} | ${r.svstatMs.toFixed(0)} | ${r.upLines} | ${(r.stopMs / 1000).toFixed(1)} |`);
}
if (ONLY.includes('stop')) {
  const r = await stop30();
  console.log(`\nsvscan SIGSTOP 30 s: ${r.aliveAfter}/${r.services} services alive during the stop; svc -d/-t sent during it applied ${r.appliedMs.toFixed(0)} ms after SIGCONT; svscan alive: ${r.svscanAlive}`);
}
if (ONLY.includes('kill9')) {
  const r = await kill9(20);
  console.log(`\n${r.rounds} kill -9 of svscan in a row, ${r.services} services with a lock in ./run: ${r.duplicates} duplicate ./run, ${r.extraStarts} extra starts, ${(r.ms / 1000).toFixed(1)} s in all`);
}
if (ONLY.includes('fork')) {
  const r = await forkStorm();
  console.log(`\nA service forking 5,000 short-lived children: done in ${(r.forkMs / 1000).toFixed(1)} s; svscan CPU ${r.svscanCpuMs.toFixed(0)} ms meanwhile, RSS ${mb(r.rssKB)} MB after; svc -t of another service answered in ${r.svcMs.toFixed(0)} ms; forker up: ${r.forkerUp}`);
}
if (ONLY.includes('flood')) {
  const r = await flood();
  console.log(`\nLog pipe flood (yes into a logger reading 4 KiB/s), svscan RSS over ${r.samples} s: first ${mb(r.firstKB)} MB, max ${mb(r.maxKB)} MB, last ${mb(r.lastKB)} MB`);
}
