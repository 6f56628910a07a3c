// Soak: is svscan's memory bounded while services crash and restart all the time? svscan over
// CRASHERS services whose run exits at once (a restart per service every second: the start hold) and
// TALKERS services writing a line every 0.1 s into a `cat` logger, for SOAK_SECONDS; svscan's RSS, heap
// and CPU are sampled every 10 s from its own SIGUSR1 stats line. daemontools' svscan runs the same
// set side by side (its tree's RSS summed, as in svscan.bench.mjs) as the anchor of a flat line.
// Usage: node bench/soak.bench.mjs   (SOAK_SECONDS=120 CRASHERS=100 TALKERS=20 by default)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const OURS = path.join(root, 'bin', 'svscan');
const HAVE_THEIRS = spawnSync('sh', ['-c', 'command -v svscan >/dev/null && command -v supervise >/dev/null']).status === 0
  && fs.existsSync('/usr/bin/svscan');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const CRASHERS = Number(process.env.CRASHERS ?? 100);
const TALKERS = Number(process.env.TALKERS ?? 20);
const SAMPLE_MS = 10_000;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'svtools-soak-'));
const groups = [];
const cleanup = () => {
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } }
};
process.on('exit', () => { cleanup(); fs.rmSync(work, { recursive: true, force: true }); });
process.on('SIGINT', () => process.exit(130));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function makeTree(scan) {
  const dirs = [];
  const service = (name, run) => {
    const dir = path.join(scan, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'run'), run, { mode: 0o755 });
    dirs.push(dir);
    return dir;
  };
  for (let i = 0; i < CRASHERS; i++) {
    const dir = service(`crash${i}`, '#!/bin/sh\necho crashing\nexit 1\n');
    fs.writeFileSync(path.join(dir, 'backoff-threshold'), '1000000000\n'); // daemontools' pace, no backoff
  }
  for (let i = 0; i < TALKERS; i++) {
    service(`talk${i}`, '#!/bin/sh\nwhile :; do echo "line from $$"; sleep 0.1; done\n');
    service(`talk${i}/log`, '#!/bin/sh\nexec cat > /dev/null\n');
  }
  return dirs;
}

function children(pid) {
  try { return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; }
}
const rssKB = (pid) => { try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); } catch { return 0; } };
const comm = (pid) => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } };

/** daemontools' supervision tree: svscan and its supervise children (not the services). */
function theirTreeKB(pid) {
  let total = rssKB(pid);
  for (const c of children(pid)) if (comm(c) === 'supervise') total += rssKB(c);
  return total;
}

async function soakOurs() {
  const scan = path.join(work, 'ours');
  makeTree(scan);
  const errFile = path.join(work, 'ours.stderr');
  const err = fs.openSync(errFile, 'w');
  const child = spawn(OURS, [scan, '--log-format', 'json'], { stdio: ['ignore', 'ignore', err], detached: true });
  groups.push(child.pid);
  return { child, errFile };
}

function soakTheirs() {
  const scan = path.join(work, 'theirs');
  makeTree(scan);
  const child = spawn('/usr/bin/svscan', [scan], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  groups.push(child.pid);
  return child;
}

function statsLines(errFile) {
  return fs.readFileSync(errFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"stats"')).map((l) => JSON.parse(l));
}

const ours = await soakOurs();
const theirs = HAVE_THEIRS ? soakTheirs() : undefined;
if (!theirs) console.log('daemontools not found (apt-get install daemontools): svtools alone');
console.log(`soak: ${CRASHERS} crashing services (exit 1 at once, restarted every 1 s) + ${TALKERS} talking services with loggers, ${SECONDS} s`);
const theirSamples = [];
const t0 = Date.now();
while (Date.now() - t0 < SECONDS * 1000) {
  await sleep(SAMPLE_MS);
  process.kill(ours.child.pid, 'SIGUSR1');
  if (theirs) theirSamples.push(theirTreeKB(theirs.pid));
}
await sleep(200);
const samples = statsLines(ours.errFile);
process.kill(ours.child.pid, 'SIGTERM');
if (theirs) process.kill(theirs.pid, 'SIGTERM');
await sleep(3000);

const mb = (bytes) => (bytes / 1e6).toFixed(1);
console.log('\n| t (s) | svscan RSS MB | heap used MB | open fds | CPU share | restarts | daemontools tree RSS MB |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
samples.forEach((s, i) => {
  const theirsKB = theirSamples[i];
  console.log(`| ${(i + 1) * SAMPLE_MS / 1000} | ${mb(s.rssBytes)} | ${mb(s.heapUsedBytes)} | ${s.openFds} | ${s.cpuShare} | ${s.restarts} | ${theirsKB ? (theirsKB / 1024).toFixed(1) : '-'} |`);
});
if (samples.length >= 4) {
  // The heap is a sawtooth (garbage per restart, then a major GC): compare the floors of the first
  // and second halves, not two arbitrary samples. The first sample includes start-up: left out.
  const steady = samples.slice(1);
  const half = Math.floor(steady.length / 2);
  const floor = (xs, key) => Math.min(...xs.map((x) => x[key]));
  const restarts = steady[steady.length - 1].restarts - steady[0].restarts;
  console.log(`\nover ${restarts} restarts: svscan RSS floor ${mb(floor(steady.slice(0, half), 'rssBytes'))} MB (first half) -> ${mb(floor(steady.slice(half), 'rssBytes'))} MB (second half), max ${mb(Math.max(...steady.map((x) => x.rssBytes)))} MB; heap-used floor ${mb(floor(steady.slice(0, half), 'heapUsedBytes'))} -> ${mb(floor(steady.slice(half), 'heapUsedBytes'))} MB; open fds ${steady[0].openFds} -> ${steady[steady.length - 1].openFds}`);
  if (theirSamples.length >= 2) console.log(`daemontools tree RSS ${(theirSamples[1] / 1024).toFixed(1)} -> ${(theirSamples[theirSamples.length - 1] / 1024).toFixed(1)} MB`);
}
