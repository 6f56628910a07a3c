// Helpers shared by the svscan benchmarks (svscan, faults and logging .bench.mjs): polling with a
// deadline, service directories, status pids, and the memory of a supervision tree.
import fs from 'node:fs';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function waitFor(what, probe, timeoutMs = 120_000, every = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

export function statusPid(dir) {
  try {
    const b = fs.readFileSync(path.join(dir, 'supervise/status'));
    return b.length >= 18 ? b.readUInt32LE(12) : 0;
  } catch { return 0; }
}

export function makeServices(scan, n) {
  fs.mkdirSync(scan, { recursive: true });
  const dirs = [];
  for (let i = 0; i < n; i++) {
    const dir = path.join(scan, `s${String(i).padStart(4, '0')}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'run'), '#!/bin/sh\nexec sleep 1000000\n', { mode: 0o755 });
    dirs.push(dir);
  }
  return dirs;
}

export function children(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
}

export function memoryOf(pid) {
  let rss = 0, pss = 0;
  try { rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); } catch { /* gone */ }
  try { pss = Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]); } catch { /* gone */ }
  return { rss, pss };
}

/** The supervision tree: the scanner and its descendants, minus the services (and theirs). */
export function treeMemory(scannerPid, servicePids) {
  const services = new Set(servicePids);
  const tree = [];
  const walk = (pid) => {
    if (services.has(pid)) return;
    tree.push(pid);
    for (const c of children(pid)) walk(c);
  };
  walk(scannerPid);
  let rss = 0, pss = 0;
  for (const pid of tree) { const m = memoryOf(pid); rss += m.rss; pss += m.pss; }
  return { processes: tree.length, rssKB: rss, pssKB: pss };
}

