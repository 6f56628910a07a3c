// sabo against `pv -q -L` and cat(1), one run each, side by side:
//   - accuracy: achieved/target at 1, 10 and 100 MB/s over ACCURACY_SECONDS, and the worst 1-second
//     window after the first second (target: within 1 %, never above the limit);
//   - unthrottled throughput as a fraction of cat's (target >= 90 %), `head -c | X > /dev/null`, and
//     into a pipe (`head -c | X | cat > /dev/null`, sabo's non-blocking pipe writes);
//   - CPU seconds per GB of the tool alone (/usr/bin/time on it, inside the pipeline).
// Usage: npm run bench -- sabo    (or: node bench/sabo.bench.mjs after npm run build)
// SABO_BENCH_SECONDS sets the length of each accuracy run (default 8). Print `uptime` with the
// figures: on a loaded machine the unthrottled ratios mostly measure the scheduler.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SABO = join(root, 'bin', 'sabo');
const ACCURACY_SECONDS = Number(process.env.SABO_BENCH_SECONDS ?? 8);
const THROUGHPUT_BYTES = 8 * 2 ** 30;
const TRIALS = 3;
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'sabo-bench-'));
const timeFile = join(tmp, 'time');
const hasTime = have('/usr/bin/time');

// sabo's default 20 ms bucket is a hard cap; --burst 1s (Go sabo's bucket) lets it catch up after a
// stall (of the feeder, of this reader, of the machine).
const tools = [
  { name: 'sabo', cmd: (rate) => `'${SABO}' --max-bandwidth ${rate}` },
  { name: 'sabo --burst 1s', cmd: (rate) => `'${SABO}' --max-bandwidth ${rate} --burst 1s` },
];
if (have('pv')) tools.push({ name: 'pv -q -L', cmd: (rate) => `pv -q -L ${rate}` });
else console.log('pv not found: install pv for the side-by-side figures');
if (!hasTime) console.log('/usr/bin/time not found: no CPU figures (apt-get install time)');

/** Runs `head -c BYTES /dev/zero | TOOL` and time-stamps every chunk the tool writes. */
function timedRun(tool, bytes) {
  const timed = hasTime ? `/usr/bin/time -f '%U %S' -o '${timeFile}' ${tool}` : tool;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `head -c ${bytes} /dev/zero | ${timed}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push([performance.now(), c.length]));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${tool}: exit ${code}`));
      resolve({ chunks, cpu: cpuSeconds() });
    });
  });
}

function cpuSeconds() {
  if (!hasTime) return NaN;
  const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return user + sys;
}

function achieved(chunks) {
  let bytes = 0;
  for (const [, n] of chunks.slice(1)) bytes += n;
  return (bytes * 1000) / (chunks.at(-1)[0] - chunks[0][0]);
}

function worstWindow(chunks, fromMs) {
  const points = chunks.filter(([t]) => t >= fromMs);
  let best = 0, sum = 0, j = 0;
  for (const [t, n] of points) {
    sum += n;
    while (t - points[j][0] >= 1000) sum -= points[j++][1];
    best = Math.max(best, sum);
  }
  return best;
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs`);
const pct = (x) => `${(x * 100).toFixed(2)} %`;
const rows = [];
for (const rate of [1e6, 1e7, 1e8]) {
  for (const tool of tools) {
    const bytes = rate * ACCURACY_SECONDS;
    const { chunks, cpu } = await timedRun(tool.cmd(rate), bytes);
    rows.push({
      tool: tool.name,
      'target B/s': rate,
      'achieved/target': pct(achieved(chunks) / rate),
      'worst 1 s window/target': pct(worstWindow(chunks, chunks[0][0] + 1000) / rate),
      'CPU s/GB': (cpu / (bytes / 1e9)).toFixed(2),
    });
  }
}
console.log(`\nAccuracy (${ACCURACY_SECONDS} s per run, head -c N /dev/zero | TOOL | this process):`);
console.table(rows);

// `into` follows the timed tool: each row is compared with cat's row of the same `into`.
const unthrottled = [{ name: 'cat', cmd: 'cat' }, { name: 'sabo --max-bandwidth 1000G', cmd: `'${SABO}' --max-bandwidth 1000G` }];
if (have('pv')) unthrottled.push({ name: 'pv -q', cmd: 'pv -q' });
unthrottled.push({ name: 'cat | cat', cmd: 'cat', into: ' | cat' }, { name: 'sabo --max-bandwidth 1000G | cat', cmd: `'${SABO}' --max-bandwidth 1000G`, into: ' | cat' });
// Interleaved trials, median of each: the machine may be shared, and one run is not a measurement.
const trials = unthrottled.map(() => []);
for (let trial = 0; trial < TRIALS; trial++) {
  unthrottled.forEach((tool, i) => {
    const timed = hasTime ? `/usr/bin/time -f '%U %S' -o '${timeFile}' ${tool.cmd}` : tool.cmd;
    const t0 = performance.now();
    const r = spawnSync('bash', ['-c', `head -c ${THROUGHPUT_BYTES} /dev/zero | ${timed}${tool.into ?? ''} > /dev/null`], { stdio: 'inherit' });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${tool.name}: exit ${r.status}`);
    trials[i].push({ mbs: THROUGHPUT_BYTES / 1e6 / seconds, cpu: cpuSeconds() });
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = unthrottled.map((tool, i) => ({
  tool: tool.name, into: tool.into, mbs: median(trials[i].map((t) => t.mbs)), cpu: median(trials[i].map((t) => t.cpu)),
}));
console.log(`\nUnthrottled (head -c ${THROUGHPUT_BYTES} /dev/zero | TOOL > /dev/null, median of ${TRIALS}, start-up included; CPU of TOOL alone):`);
console.table(results.map((r) => ({
  tool: r.tool,
  'MB/s': r.mbs.toFixed(0),
  'vs cat': pct(r.mbs / results.find((c) => c.tool.startsWith('cat') && c.into === r.into).mbs),
  'CPU s/GB': (r.cpu / (THROUGHPUT_BYTES / 1e9)).toFixed(2),
})));
rmSync(tmp, { recursive: true, force: true });
