// The programs that run many copies at once (relaxlogs, one per logged service; sabo/throttle,
// parallel `mysqldump | sabo`; supervise): start-up against `node -e 0`, and memory per copy with ten
// copies at work. Targets (issue "Every service's log in one process", point 4): start <= 1.2x
// `node -e 0`; <= 45 MB RSS each on Node 20 (50 MB on Node 24); <= 15 MB PSS each.
//   - start: median of RUNS spawns (hyperfine when installed), with and without NODE_EXTRA_CA_CERTS,
//     each against `node -e 0` in the same environment;
//   - memory: peak RSS and PSS (/proc/PID/smaps_rollup) of each of ten copies, sampled every 100 ms:
//     ten relaxlogs labelling and writing ~2 MB/s of lines each (pv -L), ten sabo copying
//     `head -c 200M /dev/zero` to /dev/null sharing 200 MB/s, ten supervise over an idle service.
// PSS shares Node's own pages among every Node process on the machine: more Node processes running
// elsewhere lower it. Run with `npm run bench -- companions`; NODE=/path/to/node for another Node;
// COMPANIONS=relaxlogs,supervise for some of the programs; PARTS=start or PARTS=memory for one half.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'bin', name);
const NODE = process.env.NODE ?? process.execPath;
const RUNS = Number(process.env.RUNS ?? 30);
const COMPANIONS = (process.env.COMPANIONS ?? 'relaxlogs,sabo,supervise').split(',');
const PARTS = (process.env.PARTS ?? 'start,memory').split(',');
const COPIES = 10;
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 4);
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
const major = Number(/^v(\d+)/.exec(nodeVersion)?.[1]);
const RSS_TARGET_MB = major >= 24 ? 50 : 45;
const PSS_TARGET_MB = 15;
const tmp = mkdtempSync(join(tmpdir(), 'companions-bench-'));
// The bin/ wrappers find node on PATH: put the chosen one first.
const PATH = `${dirname(NODE)}:${process.env.PATH}`;
const CA = process.env.NODE_EXTRA_CA_CERTS ?? (existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : undefined);
const withCa = { ...process.env, PATH, ...(CA ? { NODE_EXTRA_CA_CERTS: CA } : {}) };
const withoutCa = { ...process.env, PATH };
delete withoutCa.NODE_EXTRA_CA_CERTS;

console.log(`${nodeVersion}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, NODE_EXTRA_CA_CERTS=${CA ?? '(none found)'}`);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/**
 * Median wall time in ms of each command (a list of words, run without a shell; its stdin is /dev/null,
 * as hyperfine gives it). Without hyperfine the commands take turns, one run each per round, so that
 * the load of a shared machine drifting during the bench weighs on all alike.
 */
function startMs(cmds, env) {
  const quote = (w) => `'${w.replaceAll("'", "'\\''")}'`;
  if (have('hyperfine')) {
    const out = join(tmp, 'hf.json');
    rmSync(out, { force: true });
    const r = spawnSync('hyperfine', ['-N', '-w', '3', '-r', String(RUNS), '--export-json', out, ...cmds.map((c) => c.map(quote).join(' '))], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr}`);
    return JSON.parse(readFileSync(out, 'utf8')).results.map((x) => x.median * 1000);
  }
  const times = cmds.map(() => []);
  for (let i = 0; i < RUNS + 2; i++) {
    cmds.forEach(([file, ...args], c) => {
      const t0 = process.hrtime.bigint();
      spawnSync(file, args, { env, stdio: 'ignore' });
      if (i >= 2) times[c].push(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  }
  return times.map(median);
}

const svc = join(tmp, 'svc');
mkdirSync(svc);
writeFileSync(join(svc, 'run'), '#!/bin/sh\nexec sleep 1000\n');
chmodSync(join(svc, 'run'), 0o755);

const logDir = join(tmp, 'start-log');
const startCases = [
  ['node -e 0', [NODE, '-e', '0'], 'all'],
  ['relaxlogs --version', [bin('relaxlogs'), '--version'], 'relaxlogs'],
  ['relaxlogs --with-time < /dev/null (a run)', [bin('relaxlogs'), '--with-time'], 'relaxlogs'],
  ['sabo --version', [bin('sabo'), '--version'], 'sabo'],
  ['sabo < /dev/null (a run)', [bin('sabo'), '--max-bandwidth', '1M'], 'sabo'],
  ['throttle -V', [bin('throttle'), '-V'], 'sabo'],
  ['supervise --version', [bin('supervise'), '--version'], 'supervise'],
  // What a log/run does: a pipe on stdin, a log directory (and its lock: a flock(1) spawn). The sh and
  // the pipe cost the same to both rows: compare these two with each other.
  ['sh -c \'true | node -e 0\'', ['sh', '-c', `true | '${NODE}' -e 0`], 'relaxlogs'],
  ['sh -c \'true | relaxlogs --log-dir D --with-time\'', ['sh', '-c', `true | '${bin('relaxlogs')}' --log-dir '${logDir}' --with-time`], 'relaxlogs'],
].filter(([, , program]) => program === 'all' || COMPANIONS.includes(program));
if (PARTS.includes('start')) {
  console.log(`\nstart-up, median of ${RUNS} (${have('hyperfine') ? 'hyperfine -N' : 'hrtime around spawnSync'}); ratio to node -e 0 in the same environment, target <= 1.2x`);
  console.log('| command | with NODE_EXTRA_CA_CERTS | ratio | without | ratio |');
  console.log('| --- | --- | --- | --- | --- |');
  const cmds = startCases.map(([, cmd]) => cmd);
  const timed = { with: startMs(cmds, withCa), without: startMs(cmds, withoutCa) };
  const shBase = startCases.findIndex(([name]) => name.startsWith('sh -c'));
  startCases.forEach(([name], i) => {
    const [w, wo] = [timed.with[i], timed.without[i]];
    const base = name.startsWith('sh -c') ? shBase : 0;
    console.log(`| ${name} | ${w.toFixed(1)} ms | ${(w / timed.with[base]).toFixed(2)}x | ${wo.toFixed(1)} ms | ${(wo / timed.without[base]).toFixed(2)}x |`);
  });
}

function memoryKb(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { rss: field('Rss'), pss: field('Pss') };
  } catch {
    return null;
  }
}

/** The pid of the Node process among a shell pipeline's: the newest descendant running `name`. */
function nodePidIn(groupLeader, name) {
  const r = spawnSync('ps', ['-o', 'pid=,args=', '-g', String(groupLeader)], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => /^\s*\d+ (\S*\/)?node /.test(l) && l.includes(`bin/${name}`));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

/** Starts COPIES shell pipelines (each its own process group), samples the Node process of each. */
async function tenCopies(label, name, cmdOf, env, stop = () => {}) {
  const groups = [];
  for (let i = 0; i < COPIES; i++) groups.push(spawn('sh', ['-c', cmdOf(i)], { env, detached: true, stdio: 'ignore' }));
  const peak = new Map();
  const deadline = Date.now() + SAMPLE_SECONDS * 1000;
  await new Promise((r) => setTimeout(r, 500));
  while (Date.now() < deadline) {
    for (const g of groups) {
      const pid = nodePidIn(g.pid, name);
      const m = pid && memoryKb(pid);
      if (!m) continue;
      const p = peak.get(g.pid) ?? { rss: 0, pss: 0 };
      peak.set(g.pid, { rss: Math.max(p.rss, m.rss), pss: Math.max(p.pss, m.pss) });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < COPIES; i++) stop(i);
  for (const g of groups) try { process.kill(-g.pid, 'SIGKILL'); } catch { /* already gone */ }
  const peaks = [...peak.values()];
  if (peaks.length === 0) return console.log(`| ${label} | no sample | | | |`);
  const mb = (kb) => (kb / 1024).toFixed(1);
  const rss = peaks.map((p) => p.rss);
  const pss = peaks.map((p) => p.pss);
  console.log(`| ${label} | ${mb(median(rss))} (max ${mb(Math.max(...rss))}) MB | ${(Math.max(...rss) / 1024 / RSS_TARGET_MB).toFixed(2)}x | ${mb(median(pss))} (max ${mb(Math.max(...pss))}) MB | ${(Math.max(...pss) / 1024 / PSS_TARGET_MB).toFixed(2)}x |`);
}

if (PARTS.includes('memory')) {
  console.log(`\nmemory per copy, ${COPIES} copies at once, peak over ${SAMPLE_SECONDS} s: median (max); ratio of the max to the target (${RSS_TARGET_MB} MB RSS, ${PSS_TARGET_MB} MB PSS)`);
  console.log('| copies | RSS | ratio | PSS | ratio |');
  console.log('| --- | --- | --- | --- | --- |');
  const line = 'x'.repeat(99);
  const feed = have('pv') ? `yes ${line} | pv -q -L 2M` : `yes ${line}`;
  for (const [label, env] of [['with NODE_EXTRA_CA_CERTS', withCa], ['without', withoutCa]]) {
    if (COMPANIONS.includes('relaxlogs')) {
      await tenCopies(`relaxlogs --with-time, ${label}`, 'relaxlogs',
        (i) => `${feed} | '${bin('relaxlogs')}' --with-time --log-dir '${join(tmp, `log${i}`)}' --rotation-size 8M --rotation-count 2`, env);
    }
    if (COMPANIONS.includes('sabo')) {
      await tenCopies(`sabo, 200M shared at 200 MB/s, ${label}`, 'sabo',
        () => `head -c 200M /dev/zero | '${bin('sabo')}' --max-bandwidth 200M --work-dir '${join(tmp, 'share')}' > /dev/null`, env);
    }
    if (COMPANIONS.includes('supervise')) {
      // The services run in their own sessions: `svc -dx` stops each (and its supervise) before the kill.
      const serviceDir = (i) => join(tmp, `svc-${env === withCa ? 'ca' : 'noca'}-${i}`);
      await tenCopies(`supervise (idle service), ${label}`, 'supervise',
        (i) => `cp -r '${svc}' '${serviceDir(i)}' && exec '${bin('supervise')}' '${serviceDir(i)}'`, env,
        (i) => spawnSync(bin('svc'), ['-dx', serviceDir(i)], { stdio: 'ignore' }));
    }
  }
  if (COMPANIONS.includes('relaxlogs')) {
    // A loud logger (unthrottled input, one copy): V8's compilers are on after its first second.
    await tenCopies('relaxlogs --with-time, one loud copy (unthrottled; compilers on)', 'relaxlogs',
      (i) => (i === 0 ? `yes ${line} | '${bin('relaxlogs')}' --with-time --log-dir '${join(tmp, 'loud')}' --rotation-size 8M --rotation-count 2` : 'true'), withoutCa);
  }
}

rmSync(tmp, { recursive: true, force: true });
