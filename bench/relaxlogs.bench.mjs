// relaxlogs throughput side by side with multilog (t), svlogd (-tt) and s6-log (T), as installed
// from Debian: the same file of 100-byte lines piped through each, timestamps on and off, every
// logger rotating (and so fsyncing) every 16 MiB, which is the same durability for all of them.
// Prints MB/s, lines/s and CPU seconds (user + sys of the logger alone) and relaxlogs' ratio to the
// fastest peer. Peers not installed are named and skipped.
//   node bench/relaxlogs.bench.mjs            (RELAXLOGS_BENCH_LINES=10000000 for the 10M;
//   RELAXLOGS_BENCH_ARGS='--buffer-size 64K' adds options to relaxlogs' command line)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const relaxlogs = path.join(root, 'bin', 'relaxlogs');
const LINES = Number(process.env.RELAXLOGS_BENCH_LINES ?? 5_000_000);
const LINE = 100;
const ROTATE = 16 * 1024 * 1024 - 1; // multilog's largest s

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'relaxlogs-bench-'));
// The input is hundreds of MB: never leave it behind.
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130));
const input = path.join(work, 'input');
const out = path.join(work, 'out');

function makeInput() {
  const fd = fs.openSync(input, 'w');
  const batch = 10_000;
  for (let i = 0; i < LINES; i += batch) {
    let s = '';
    for (let j = i; j < Math.min(i + batch, LINES); j++) {
      const head = `${String(j).padStart(10, '0')} GET /index.html HTTP/1.1 200 `;
      s += head + 'x'.repeat(LINE - 1 - head.length) + '\n';
    }
    fs.writeSync(fd, s);
  }
  fs.closeSync(fd);
}

/** Runs `cmd` (a shell word list) with the input on a pipe; returns wall and CPU seconds. */
function measure(cmd, setup) {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  setup?.();
  const script = `TIMEFORMAT='%R %U %S'; cat ${input} | { time ${cmd} >/dev/null 2>&1 ; } 2>&1`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  const [real, user, sys] = r.stdout.trim().split('\n').pop().split(' ').map(Number);
  return { real, cpu: user + sys };
}

const peers = [
  { name: 'multilog', bin: 'multilog', stamp: 't', on: `multilog t s${ROTATE} n1000 ${out}`, off: `multilog s${ROTATE} n1000 ${out}` },
  {
    name: 'svlogd', bin: 'svlogd', stamp: '-tt', on: `svlogd -tt ${out}`, off: `svlogd ${out}`,
    setup: () => fs.writeFileSync(path.join(out, 'config'), `s${ROTATE}\nn1000\n`),
  },
  { name: 's6-log', bin: 's6-log', stamp: 'T', on: `s6-log T n1000 s${ROTATE} ${out}`, off: `s6-log n1000 s${ROTATE} ${out}` },
];
const ours = `${relaxlogs} --log-dir ${out} --rotation-time 1440 --rotation-size ${ROTATE} ${process.env.RELAXLOGS_BENCH_ARGS ?? ''}`;
// bin/relaxlogs starts with V8's compilers off and turns them on once its input is loud
// (src/protocol/v8-compilers.ts); the last row runs the same bundle with them on from the start, as
// Node does by default, to show what the lean start costs a loud logger.
const eager = `env -u NODE_EXTRA_CA_CERTS ${process.execPath} ${path.join(root, 'dist', 'relaxlogs.cjs')} --log-dir ${out} --rotation-time 1440 --rotation-size ${ROTATE} ${process.env.RELAXLOGS_BENCH_ARGS ?? ''}`;
const rows = [
  { name: 'relaxlogs', stamp: '--with-time', on: `${ours} --with-time`, off: ours },
  { name: 'relaxlogs', stamp: 'tai64n', on: `${ours} --time-format tai64n`, off: null },
  { name: 'relaxlogs', stamp: '--with-time, compilers from start', on: `${eager} --with-time`, off: null },
];

const missing = peers.filter((p) => !has(p.bin)).map((p) => p.name);
const present = peers.filter((p) => has(p.bin));
if (!fs.existsSync(path.join(root, 'dist', 'relaxlogs.cjs'))) {
  console.log('dist/relaxlogs.cjs missing: run npm run build first');
  process.exit(1);
}

makeInput();
const mb = (LINES * LINE) / 1e6;
console.log(`${LINES} lines of ${LINE} bytes (${mb} MB), input piped by cat; rotation every 16 MiB for all.`);
if (missing.length) console.log(`not installed, skipped: ${missing.join(', ')}`);
const cat = measure(`cat > ${path.join(out, 'file')}`);

const table = [];
for (const row of [...present, ...rows]) {
  for (const mode of ['on', 'off']) {
    if (!row[mode]) continue;
    const m = measure(row[mode], row.setup);
    table.push({ logger: row.name, timestamps: mode === 'on' ? row.stamp : 'off', ...m });
  }
}
const fmt = (n, d = 1) => n.toFixed(d).padStart(9);
console.log(`\n${'logger'.padEnd(10)} ${'timestamps'.padEnd(34)} ${'MB/s'.padStart(9)} ${'lines/s'.padStart(11)} ${'CPU s'.padStart(9)} ${'wall s'.padStart(9)}`);
for (const t of [...table, { logger: 'cat', timestamps: 'off', ...cat }]) {
  console.log(`${t.logger.padEnd(10)} ${t.timestamps.padEnd(34)} ${fmt(mb / t.real)} ${String(Math.round(LINES / t.real)).padStart(11)} ${fmt(t.cpu, 2)} ${fmt(t.real, 2)}`);
}
const best = (ts) => {
  const peersRows = table.filter((t) => t.logger !== 'relaxlogs' && (ts ? t.timestamps !== 'off' : t.timestamps === 'off'));
  return peersRows.sort((a, b) => a.real - b.real)[0];
};
console.log('');
for (const t of table.filter((x) => x.logger === 'relaxlogs')) {
  const b = best(t.timestamps !== 'off');
  if (b) console.log(`relaxlogs (${t.timestamps}) / fastest peer ${b.logger} (${b.timestamps}): ${(b.real / t.real).toFixed(2)}x throughput, ${(t.cpu / b.cpu).toFixed(2)}x CPU`);
}
if (!present.length) console.log('no peer installed: no ratio');
// Every figure includes start-up, which weighs on small inputs: Node's own start costs relaxlogs this.
const idle = spawnSync('bash', ['-c', `TIMEFORMAT='%R'; { time ${ours} </dev/null >/dev/null 2>&1 ; } 2>&1`], { encoding: 'utf8' });
console.log(`relaxlogs start-up and exit on empty input: ${idle.stdout.trim()} s wall`);
