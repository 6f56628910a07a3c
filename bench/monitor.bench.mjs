// Start-up cost of the monitoring commands against `node -e 0`, over 1, 10 and 100 service
// directories, with daemontools' svstat for reference. Uses hyperfine (median of about
// MONITOR_BENCH_RUNS runs, default 30, taken in interleaved rounds). The fake services are real: a `supervise/ok` fifo this script
// holds open, an 18-byte status and a status.json. Run twice: with the environment as it is, and
// without NODE_EXTRA_CA_CERTS (which slows every Node start on machines that set it).
// Usage: npm run bench -- monitor    (or: node bench/monitor.bench.mjs after npm run build)
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.MONITOR_BENCH_RUNS ?? 30);
const SIZES = [1, 10, 100];
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
if (!have('hyperfine')) {
  console.log('hyperfine not found (apt-get install hyperfine): monitor bench skipped');
  process.exit(0);
}
const daemontools = have('svstat') && spawnSync('sh', ['-c', 'command -v svstat'], { encoding: 'utf8' }).stdout.trim() !== join(root, 'bin/svstat');
if (!daemontools) console.log("daemontools' svstat not found (apt-get install daemontools): no reference figures");

const tmp = mkdtempSync(join(tmpdir(), 'monitor-bench-'));
const held = [];
function status(pid, sinceS) {
  const b = Buffer.alloc(18);
  b.writeBigUInt64BE(2n ** 62n + 10n + BigInt(sinceS), 0);
  b.writeUInt32LE(pid, 12);
  b[17] = 0x75;
  return b;
}
const nowS = Math.floor(Date.now() / 1000) - 3600;
for (let i = 0; i < Math.max(...SIZES); i++) {
  const sup = join(tmp, `s${i}`, 'supervise');
  mkdirSync(sup, { recursive: true });
  if (spawnSync('mkfifo', ['-m', '600', join(sup, 'ok')]).status !== 0) throw new Error('mkfifo failed');
  held.push(openSync(join(sup, 'ok'), constants.O_RDONLY | constants.O_NONBLOCK));
  writeFileSync(join(sup, 'status'), status(10_000 + i, nowS));
  writeFileSync(join(sup, 'status.json'), `${JSON.stringify({
    version: 1, pid: 10_000 + i, pgid: 10_000 + i, pidStartTicks: null, since: nowS * 1000, readySince: nowS * 1000, restarts: i,
    lastExit: null, backoffUntil: null, adopted: false, leftovers: 0,
  })}\n`);
}

const bin = (name) => join(root, 'bin', name);
function commands(n) {
  const dirs = Array.from({ length: n }, (_, i) => `s${i}`).join(' ');
  const list = [
    ['node -e 0', 'node -e 0'],
    // The floor for any svtools client: svok is the smallest, and always looks at one directory.
    ['svok s0 (floor)', `${bin('svok')} s0`],
    ['svstat', `${bin('svstat')} ${dirs}`],
    ['svstat --json', `${bin('svstat')} --json ${dirs}`],
    ['svcheck', `${bin('svcheck')} ${dirs}`],
    ['svstat --format=prometheus', `${bin('svstat')} --format=prometheus ${dirs}`],
  ];
  if (daemontools) list.push(['daemontools svstat', `svstat ${dirs}`]);
  return list;
}

// A loaded machine drifts: measure in ROUNDS short hyperfine rounds (each command RUNS_PER_ROUND
// times), so every command sees the same mix of quiet and busy moments; the median of all samples.
const RUNS_PER_ROUND = 3;
const ROUNDS = Math.max(1, Math.round(RUNS / RUNS_PER_ROUND));
function measure(n, env) {
  const cmds = commands(n);
  const out = join(tmp, 'hf.json');
  const times = cmds.map(() => []);
  const cpu = cmds.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const args = ['-N', '--style', 'none', '--warmup', '1', '--runs', String(RUNS_PER_ROUND), '--export-json', out, ...cmds.map(([, c]) => c)];
    const r = spawnSync('hyperfine', args, { cwd: tmp, env, stdio: ['ignore', 'ignore', 'ignore'] });
    if (r.status !== 0) throw new Error(`hyperfine exited ${r.status}`);
    JSON.parse(readFileSync(out, 'utf8')).results.forEach((res, i) => { times[i].push(...res.times); cpu[i].push(res.user + res.system); });
  }
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2; };
  // CPU time (user + system, mean of the rounds' means) is less disturbed by other load than wall time.
  return cmds.map(([name], i) => ({ name, ms: median(times[i]) * 1000, cpuMs: median(cpu[i]) * 1000 }));
}

const envs = [['as is', process.env]];
if (process.env.NODE_EXTRA_CA_CERTS) {
  const { NODE_EXTRA_CA_CERTS: _, ...without } = process.env;
  envs[0][0] = `NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS}`;
  envs.push(['without NODE_EXTRA_CA_CERTS', without]);
}

let failed = false;
try {
  for (const [label, env] of envs) {
    console.log(`\n${label}: ms (ratio to node -e 0), ${ROUNDS * RUNS_PER_ROUND} runs in ${ROUNDS} interleaved rounds; load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
    const table = new Map(), cpuTable = new Map();
    for (const n of SIZES) for (const { name, ms, cpuMs } of measure(n, env)) { table.set(`${name}@${n}`, ms); cpuTable.set(`${name}@${n}`, cpuMs); }
    const names = commands(1).map(([name]) => name);
    for (const [what, t] of [['wall, median', table], ['CPU user+sys, median of round means', cpuTable]]) {
      console.log(`${what}:`);
      console.log(['command'.padEnd(28), ...SIZES.map((n) => `${n} svc`.padStart(16)), '  per extra svc'].join(''));
      for (const name of names) {
        const cells = SIZES.map((n) => {
          const ms = t.get(`${name}@${n}`), base = t.get(`node -e 0@${n}`);
          return `${ms.toFixed(1)} (${(ms / base).toFixed(2)}x)`.padStart(16);
        });
        const perService = (t.get(`${name}@100`) - t.get(`${name}@1`)) / 99;
        console.log([name.padEnd(28), ...cells, `  ${(perService * 1000).toFixed(0)} µs`].join(''));
      }
    }
    for (const name of ['svstat', 'svstat --json', 'svcheck', 'svstat --format=prometheus']) {
      const ratio = table.get(`${name}@1`) / table.get('node -e 0@1');
      if (ratio >= 1.2) { failed = true; console.log(`  over target: ${name} on 1 service is ${ratio.toFixed(2)}x node -e 0 (target < 1.2x)`); }
    }
  }
} finally {
  for (const fd of held) closeSync(fd);
  rmSync(tmp, { recursive: true, force: true });
}
// Timing is reported, not enforced: a loaded machine must not fail the run.
if (failed) console.log('(some figures are over the 1.2x target; rerun on an idle machine before concluding)');
