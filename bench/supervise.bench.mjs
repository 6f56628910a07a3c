// supervise and its clients, side by side with daemontools in one run.
//  1. reaction: a `k` command byte written to supervise/control -> a new ./run recorded in status
//     (the supervisor's own latency), and the same through each implementation's own `svc -k`;
//  2. wall time of one `svc -u`, `svstat`, `svok` including process start, against `node -e 0`
//     (our floor) and daemontools' C clients, with hyperfine.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (n) => join(root, 'bin', n);
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

const impls = [{ name: 'svtools', supervise: bin('supervise'), svc: bin('svc'), svstat: bin('svstat'), svok: bin('svok') }];
if (have('supervise') && have('svc')) impls.push({ name: 'daemontools', supervise: 'supervise', svc: 'svc', svstat: 'svstat', svok: 'svok' });
else console.log('daemontools not found (apt-get install daemontools): reporting svtools alone');

const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
const pidOf = (dir) => { try { return readFileSync(join(dir, 'supervise/status')).readUInt32LE(12); } catch { return 0; } };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p90 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length * 0.9)]; };

function serviceDir(base, name) {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run'), '#!/bin/sh\nexec sleep 1000\n');
  chmodSync(join(dir, 'run'), 0o755);
  // Killed 40 times in a row, it is a crash loop to svtools: measure reaction, not restart backoff.
  writeFileSync(join(dir, 'backoff-threshold'), '1000\n');
  return dir;
}

async function waitNewPid(dir, old) {
  for (;;) {
    const pid = pidOf(dir);
    if (pid && pid !== old) return pid;
    await new Promise((r) => setImmediate(r));
  }
}

async function reaction(impl, base) {
  const dir = serviceDir(base, `react-${impl.name}`);
  const sup = spawn(impl.supervise, [dir], { stdio: 'ignore', detached: true });
  let pid = await waitNewPid(dir, 0);
  const byFifo = [], bySvc = [];
  for (let i = 0; i < ROUNDS * 2; i++) {
    await sleepMs(1100); // supervise takes no command for 1 s after a start
    const t0 = process.hrtime.bigint();
    if (i % 2 === 0) {
      const fd = openSync(join(dir, 'supervise/control'), constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(fd, 'k');
      closeSync(fd);
    } else {
      spawnSync(impl.svc, ['-k', dir]);
    }
    const next = await waitNewPid(dir, pid);
    (i % 2 === 0 ? byFifo : bySvc).push(Number(process.hrtime.bigint() - t0) / 1e6);
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    pid = next;
  }
  spawnSync(impl.svc, ['-dx', dir]);
  await sleepMs(300);
  try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  try { process.kill(-sup.pid, 'SIGKILL'); } catch { /* gone */ }
  return { byFifo, bySvc };
}

function hyperfine(commands, env) {
  const out = join(mkdtempSync(join(tmpdir(), 'svtools-hf-')), 'hf.json');
  const args = ['-N', '--warmup', '5', '--runs', String(Math.max(ROUNDS * 2, 30)), '--export-json', out, ...commands];
  const r = spawnSync('hyperfine', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('hyperfine failed');
  const results = JSON.parse(readFileSync(out, 'utf8')).results;
  rmSync(dirname(out), { recursive: true, force: true });
  return Object.fromEntries(results.map((x) => [x.command, x.median * 1000]));
}

const base = mkdtempSync(join(tmpdir(), 'svtools-bench-'));
try {
  console.log(`\n1. reaction: command byte to new child in status (${ROUNDS} rounds each, ms)`);
  const react = {};
  for (const impl of impls) react[impl.name] = await reaction(impl, base);
  console.log('impl          fifo median  fifo p90   svc -k median  svc -k p90');
  for (const [name, r] of Object.entries(react)) {
    console.log(`${name.padEnd(13)} ${median(r.byFifo).toFixed(2).padStart(11)} ${p90(r.byFifo).toFixed(2).padStart(9)} ${median(r.bySvc).toFixed(2).padStart(14)} ${p90(r.bySvc).toFixed(2).padStart(11)}`);
  }
  if (react.daemontools) {
    console.log(`ratio svtools/daemontools: fifo ${(median(react.svtools.byFifo) / median(react.daemontools.byFifo)).toFixed(2)}x, svc -k ${(median(react.svtools.bySvc) / median(react.daemontools.bySvc)).toFixed(2)}x (target <= 1.0x)`);
  }

  if (!have('hyperfine')) {
    console.log('\n2. hyperfine not found (apt-get install hyperfine): client start-up times skipped');
  } else {
    const dir = serviceDir(base, 'clients');
    const sup = spawn(bin('supervise'), [dir], { stdio: 'ignore', detached: true });
    await waitNewPid(dir, 0);
    for (const [label, env] of [['as the environment has it', process.env], ['without NODE_EXTRA_CA_CERTS', { ...process.env, NODE_EXTRA_CA_CERTS: '' }]]) {
      if (label !== 'as the environment has it' && !process.env.NODE_EXTRA_CA_CERTS) continue;
      console.log(`\n2. client wall time, median ms (${label}; hyperfine -N)`);
      const cmds = ['node -e 0'];
      for (const impl of impls) cmds.push(`${impl.svc} -u ${dir}`, `${impl.svstat} ${dir}`, `${impl.svok} ${dir}`);
      const t = hyperfine(cmds, env);
      const floor = t['node -e 0'];
      console.log(`node -e 0: ${floor.toFixed(1)}`);
      for (const client of ['svc', 'svstat', 'svok']) {
        const ours = t[cmds.find((c) => c.startsWith(bin(client)))];
        const theirs = impls[1] ? t[cmds.find((c) => c.startsWith(`${client} `))] : undefined;
        console.log(`${client.padEnd(7)} svtools ${ours.toFixed(1).padStart(6)}  = ${(ours / floor).toFixed(2)}x node -e 0 (target <= 1.1x)` +
          (theirs ? `   daemontools ${theirs.toFixed(1).padStart(5)}` : ''));
      }
    }
    spawnSync(bin('svc'), ['-dx', dir]);
    await sleepMs(300);
    try { process.kill(-sup.pid, 'SIGKILL'); } catch { /* gone */ }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
