// svtools' multilog beside daemontools' (/usr/bin/multilog) on the same input: N lines of 100 bytes
// piped through `multilog t s16777215 n5 ./dir` (and without `t`, and with a selection and a status
// file), each run in a fresh directory. Prints MB/s of input, CPU seconds (user + sys of the logger)
// and ours/daemontools' ratios; also checks that both wrote the same number of lines.
//   node bench/multilog.bench.mjs      (MULTILOG_BENCH_LINES=5000000 for 5M; default 1M)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const ours = path.join(root, 'bin', 'multilog');
const theirs = '/usr/bin/multilog';
const LINES = Number(process.env.MULTILOG_BENCH_LINES ?? 1_000_000);
const LINE = 100;
const RUNS = Number(process.env.MULTILOG_BENCH_RUNS ?? 3);

if (!fs.existsSync(theirs)) {
  console.log(`daemontools' multilog is not installed (${theirs}): nothing to compare with (apt-get install daemontools)`);
  process.exit(0);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'multilog-bench-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130));
const input = path.join(work, 'input');

const fd = fs.openSync(input, 'w');
for (let i = 0; i < LINES; i += 10_000) {
  let s = '';
  for (let j = i; j < Math.min(i + 10_000, LINES); j++) {
    const head = `${String(j).padStart(10, '0')} ${j % 50 === 0 ? 'ERROR' : 'info'} GET /index.html HTTP/1.1 200 `;
    s += head + 'x'.repeat(LINE - 1 - head.length) + '\n';
  }
  fs.writeSync(fd, s);
}
fs.closeSync(fd);
const mb = fs.statSync(input).size / 1e6;

/** One run of `program script` reading the input through a pipe; wall and CPU seconds. */
function measure(program, script) {
  const cwd = path.join(work, 'run');
  fs.rmSync(cwd, { recursive: true, force: true });
  fs.mkdirSync(cwd);
  const quoted = script.map((a) => `'${a}'`).join(' ');
  const cmd = `TIMEFORMAT='%R %U %S'; cat ${input} | { time ${program} ${quoted} ; } 2>&1`;
  const r = spawnSync('bash', ['-c', cmd], { cwd, encoding: 'utf8' });
  const [real, user, sys] = r.stdout.trim().split('\n').pop().split(' ').map(Number);
  const lines = spawnSync('sh', ['-c', 'cat dir/@* dir/current 2>/dev/null | wc -l'], { cwd, encoding: 'utf8' }).stdout.trim();
  return { real, cpu: user + sys, lines: Number(lines) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const scripts = [
  ['t', 's16777215', 'n5', './dir'],
  ['s16777215', 'n5', './dir'],
  ['t', '-*', '+* ERROR *', '=status', '+*', 's16777215', 'n5', './dir'],
];
console.log(`${LINES} lines of ${LINE} bytes (${mb.toFixed(0)} MB), median of ${RUNS} runs; Node ${process.version}, ${os.cpus().length} CPUs`);
console.log('| script | daemontools MB/s | ours MB/s | ratio | daemontools CPU s | ours CPU s | CPU ratio |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const script of scripts) {
  const t = [];
  const o = [];
  for (let i = 0; i < RUNS; i++) {
    t.push(measure(theirs, script));
    o.push(measure(ours, script));
  }
  if (o[0].lines !== t[0].lines) console.log(`!! lines differ: daemontools ${t[0].lines}, ours ${o[0].lines}`);
  const tr = median(t.map((x) => x.real));
  const or = median(o.map((x) => x.real));
  const tc = median(t.map((x) => x.cpu));
  const oc = median(o.map((x) => x.cpu));
  console.log(`| \`${script.join(' ')}\` | ${(mb / tr).toFixed(1)} | ${(mb / or).toFixed(1)} | ${(tr / or).toFixed(2)}x | ${tc.toFixed(2)} | ${oc.toFixed(2)} | ${(oc / tc).toFixed(2)} |`);
}
