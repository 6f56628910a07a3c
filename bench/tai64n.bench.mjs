// tai64n and tai64nlocal against daemontools' on the same files: MB/s of input, output to /dev/null,
// median of TRIALS runs (wall time, start-up included), with ours/daemontools ratios.
//   tai64n:      TAI64N_BENCH_MB (default 100) MB of 100-byte lines;
//   tai64nlocal: the same lines as tai64n labelled them (multilog-style), TZ=Europe/Paris.
// Usage: npm run bench -- tai64n    (or: node bench/tai64n.bench.mjs after npm run build)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MB = Number(process.env.TAI64N_BENCH_MB ?? 100);
const TRIALS = 5;
const tmp = mkdtempSync(join(tmpdir(), 'tai64n-bench-'));
const plain = join(tmp, 'plain');
const labelled = join(tmp, 'labelled');

const line = Buffer.alloc(100, 'x');
line[99] = 10;
const lines = Buffer.alloc(MB * 1e6);
for (let at = 0; at < lines.length; at += 100) line.copy(lines, at);
writeFileSync(plain, lines);

/** Seconds for `path` from `input` to /dev/null (or to `output`). */
function timed(path, input, output = '/dev/null') {
  const fdIn = openSync(input, 'r');
  const fdOut = openSync(output, 'w');
  const start = performance.now();
  const r = spawnSync(path, [], { stdio: [fdIn, fdOut, 'inherit'], env: { PATH: process.env.PATH, TZ: 'Europe/Paris' } });
  const seconds = (performance.now() - start) / 1000;
  closeSync(fdIn);
  closeSync(fdOut);
  if (r.status !== 0) throw new Error(`${path}: exit ${r.status ?? r.signal}`);
  return seconds;
}

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

timed(join(root, 'bin', 'tai64n'), plain, labelled);
const programs = [['tai64n', plain], ['tai64nlocal', labelled]];
const rows = [];
for (const [name, input] of programs) {
  const bytes = statSync(input).size;
  const ours = join(root, 'bin', name);
  const theirs = `/usr/bin/${name}`;
  const have = existsSync(theirs);
  const oursRuns = [];
  const theirRuns = [];
  for (let i = 0; i < TRIALS; i++) {
    oursRuns.push(timed(ours, input));
    if (have) theirRuns.push(timed(theirs, input));
  }
  const o = bytes / 1e6 / median(oursRuns);
  const t = have ? bytes / 1e6 / median(theirRuns) : NaN;
  rows.push({ program: name, 'input MB': (bytes / 1e6).toFixed(0), 'ours MB/s': o.toFixed(0), 'daemontools MB/s': have ? t.toFixed(0) : 'not installed', 'ours/daemontools': have ? (o / t).toFixed(2) : '-' });
}
console.log(`median of ${TRIALS} runs, wall time including start-up; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.table(rows);
if (!existsSync('/usr/bin/tai64n')) console.log('daemontools not found: apt-get install daemontools for the side-by-side figures');
rmSync(tmp, { recursive: true, force: true });
