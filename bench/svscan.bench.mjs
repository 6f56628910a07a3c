// svscan side by side with daemontools' svscan (/usr/bin/svscan), in one run, on the same kind of
// service directories (`exec sleep`, no log):
//  - memory of the supervision tree at 10, 100 and 1,000 services: the scanner and every supervise
//    process, NOT the services' own processes (ours: the one svscan process; daemontools: svscan plus
//    one supervise per service). RSS summed per process (what `ps` shows) and PSS (shared pages split
//    between the processes that share them, from /proc/PID/smaps_rollup: the honest total for many
//    copies of one binary). Marginal cost per service = (total at 1,000 - total at 10) / 990.
//  - pickup latency: from the moment a complete service directory is moved into the scan directory
//    (mkdir + run made beside it, then rename) to its run script's first action (creating a file,
//    seen with inotify), 20 samples for ours, 10 staggered samples for daemontools (5 s scans).
// Usage: node bench/svscan.bench.mjs     (SVSCAN_BENCH_SIZES=10,100 to limit the sizes)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeServices, sleep, statusPid, treeMemory, waitFor } from './svscan-helpers.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const OURS = path.join(root, 'bin', 'svscan');
const THEIRS = '/usr/bin/svscan';
const HAVE_THEIRS = fs.existsSync(THEIRS) && spawnSync('sh', ['-c', 'command -v supervise']).status === 0;
const SIZES = (process.env.SVSCAN_BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'svscan-bench-'));
const started = [];
process.on('exit', () => {
  for (const pid of started) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  fs.rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

async function measureMemory(tool, n) {
  const scan = path.join(work, `${tool}-${n}`);
  const dirs = makeServices(scan, n);
  const t0 = Date.now();
  const child = tool === 'ours'
    ? spawn(OURS, [scan, '--log-format', 'json', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'ignore'], detached: true })
    : spawn(THEIRS, [scan], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  started.push(child.pid);
  await waitFor(`${tool}: ${n} services up`, () => dirs.every((d) => statusPid(d) > 0), 300_000, 100);
  const upMs = Date.now() - t0;
  await sleep(3000); // settle: start-up garbage collected, daemontools' next scan done
  const pids = dirs.map(statusPid);
  const mem = treeMemory(child.pid, pids);
  // Stop: ours on TERM; daemontools: svscan killed, then svc -dx on every service.
  if (tool === 'ours') {
    process.kill(child.pid, 'SIGTERM');
  } else {
    process.kill(child.pid, 'SIGTERM');
    for (let i = 0; i < dirs.length; i += 200) spawnSync('svc', ['-dx', ...dirs.slice(i, i + 200)]);
  }
  await waitFor(`${tool}: services down`, () => pids.every((p) => { try { process.kill(p, 0); return fs.readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z'); } catch { return true; } }), 120_000, 100);
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  return { ...mem, upMs };
}

/** One pickup: a complete service moved into `scan`; ms until its run script's first action. */
async function pickup(scan, name) {
  const staged = path.join(work, 'staging', name);
  fs.mkdirSync(staged, { recursive: true });
  fs.writeFileSync(path.join(staged, 'run'), '#!/bin/sh\n: > started\nexec sleep 1000000\n', { mode: 0o755 });
  let resolve;
  const seen = new Promise((r) => { resolve = r; });
  const watcher = fs.watch(staged, (_event, file) => { if (file === 'started') resolve(process.hrtime.bigint()); });
  const t0 = process.hrtime.bigint();
  fs.renameSync(staged, path.join(scan, name));
  const t1 = await Promise.race([seen, sleep(30_000).then(() => undefined)]);
  watcher.close();
  if (t1 === undefined) throw new Error(`${name} never started`);
  return Number(t1 - t0) / 1e6;
}

async function measurePickup(tool, samples) {
  const scan = path.join(work, `pickup-${tool}`);
  fs.mkdirSync(scan, { recursive: true });
  const child = tool === 'ours'
    ? spawn(OURS, [scan, '--log-format', 'json', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'ignore'], detached: true })
    : spawn(THEIRS, [scan], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  started.push(child.pid);
  await sleep(tool === 'ours' ? 1500 : 500);
  let times;
  if (tool === 'ours') {
    times = [];
    for (let i = 0; i < samples; i++) { times.push(await pickup(scan, `p${i}`)); await sleep(50); }
  } else {
    // daemontools scans every 5 s: samples at random moments over two scan periods, concurrently.
    times = await Promise.all(Array.from({ length: samples }, async (_, i) => { await sleep(Math.random() * 10_000); return pickup(scan, `p${i}`); }));
  }
  const dirs = fs.readdirSync(scan).map((d) => path.join(scan, d));
  const pids = dirs.map(statusPid);
  process.kill(child.pid, 'SIGTERM');
  if (tool !== 'ours') spawnSync('svc', ['-dx', ...dirs]);
  await sleep(1000);
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  times.sort((a, b) => a - b);
  const q = (f) => times[Math.min(times.length - 1, Math.floor(f * times.length))];
  return { median: q(0.5), p90: q(0.9), max: times[times.length - 1], n: times.length };
}

const mb = (kb) => (kb / 1024).toFixed(1);
const ratio = (a, b) => (b ? `${(a / b).toFixed(2)}x` : 'n/a');
const tools = HAVE_THEIRS ? ['ours', 'daemontools'] : ['ours'];
if (!HAVE_THEIRS) console.log('daemontools is not installed (apt-get install daemontools): ours only');
console.log(`svscan bench: node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const memory = {};
for (const n of SIZES) {
  for (const tool of tools) {
    memory[`${tool}-${n}`] = await measureMemory(tool, n);
    const m = memory[`${tool}-${n}`];
    console.log(`  measured ${tool} at ${n}: ${m.processes} processes, RSS ${mb(m.rssKB)} MB, PSS ${mb(m.pssKB)} MB, all up in ${m.upMs} ms`);
  }
}
console.log('\nMemory of the supervision tree (scanner + supervise processes; services excluded)');
console.log('| services | ours: procs | ours RSS MB | ours PSS MB | daemontools: procs | dt RSS MB | dt PSS MB | RSS ratio dt/ours | PSS ratio dt/ours | ours all up ms | dt all up ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const n of SIZES) {
  const o = memory[`ours-${n}`], d = memory[`daemontools-${n}`];
  console.log(`| ${n} | ${o.processes} | ${mb(o.rssKB)} | ${mb(o.pssKB)} | ${d?.processes ?? '-'} | ${d ? mb(d.rssKB) : '-'} | ${d ? mb(d.pssKB) : '-'} | ${d ? ratio(d.rssKB, o.rssKB) : '-'} | ${d ? ratio(d.pssKB, o.pssKB) : '-'} | ${o.upMs} | ${d?.upMs ?? '-'} |`);
}
const lo = Math.min(...SIZES), hi = Math.max(...SIZES);
if (hi > lo) {
  for (const tool of tools) {
    const a = memory[`${tool}-${lo}`], b = memory[`${tool}-${hi}`];
    console.log(`marginal ${tool}: RSS ${((b.rssKB - a.rssKB) / (hi - lo)).toFixed(1)} KB/service, PSS ${((b.pssKB - a.pssKB) / (hi - lo)).toFixed(1)} KB/service (${lo} -> ${hi})`);
  }
}

console.log('\nPickup latency: complete service directory moved in -> run script\'s first action');
const pick = {};
for (const tool of tools) pick[tool] = await measurePickup(tool, tool === 'ours' ? 20 : 10);
console.log('| tool | samples | median ms | p90 ms | max ms |');
console.log('| --- | --- | --- | --- | --- |');
for (const tool of tools) {
  const p = pick[tool];
  console.log(`| ${tool} | ${p.n} | ${p.median.toFixed(1)} | ${p.p90.toFixed(1)} | ${p.max.toFixed(1)} |`);
}
if (pick.daemontools) console.log(`pickup ratio daemontools/ours: median ${ratio(pick.daemontools.median, pick.ours.median)}, max ${ratio(pick.daemontools.max, pick.ours.max)}`);
