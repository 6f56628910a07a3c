// The chain-loaders (bin/setuidgid, bin/envdir, ...: sh scripts) against daemontools' C ones
// (/usr/bin/...), each running /bin/true as its child: wall time of one run, median of ROUNDS runs
// (100; CHAINLOAD_BENCH_ROUNDS), the runs of all commands interleaved so that a busy machine weighs
// on each alike. "added" is the median minus that of /bin/true alone: the link's own cost, the
// figure with a budget (a link runs at every start of a service: at most 5 ms). `node -e 0` is the reference a Node link would pay.
// hyperfine is not needed: process.hrtime around spawnSync.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.CHAINLOAD_BENCH_ROUNDS ?? 100);
const work = mkdtempSync(join(tmpdir(), 'chainload-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// A service's env directory of 5 files, one of them empty (removes its variable).
const envDir = join(work, 'env');
mkdirSync(envDir);
for (const [name, value] of [['PORT', '11211\n'], ['LISTEN', '127.0.0.1\n'], ['MB', '64  \n'], ['USER_NAME', 'memcache\n'], ['DEBUG', '']]) {
  writeFileSync(join(envDir, name), value);
}
const lock = join(work, 'lock');
const links = [
  ['setuidgid', ['nobody']],
  ['envuidgid', ['nobody']],
  ['envdir', [envDir]],
  ['softlimit', ['-m', '500000000']],
  ['softlimit', ['-o', '1000']],
  ['setlock', [lock]],
  ['setlock', ['-n', lock]],
  ['pgrphack', []],
  ['fghack', []],
];
const haveTheirs = existsSync('/usr/bin/setuidgid');
if (!haveTheirs) console.log('daemontools not found (apt-get install daemontools): svtools alone');

const commands = [['/bin/true'], [process.execPath, '-e', '0']];
for (const [name, args] of links) {
  commands.push([join(root, 'bin', name), ...args, '/bin/true']);
  if (haveTheirs) commands.push([`/usr/bin/${name}`, ...args, '/bin/true']);
}
const times = commands.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  commands.forEach(([file, ...args], i) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(file, args, { stdio: 'ignore' });
    times[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status}`);
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = times.map(median);
const floor = m[0];
console.log(`median of ${ROUNDS} runs, ms; added = minus /bin/true alone (${floor.toFixed(2)} ms)`);
console.log(`node -e 0: ${m[1].toFixed(2)} (added ${(m[1] - floor).toFixed(2)})`);
console.log('link                              svtools  added   daemontools  added   ratio (added)');
let i = 2;
for (const [name, args] of links) {
  const ours = m[i++];
  const label = `${name} ${args.map((a) => (a.startsWith(work) ? a.slice(work.length + 1) : a)).join(' ')}`.padEnd(32);
  let line = `${label} ${ours.toFixed(2).padStart(8)} ${(ours - floor).toFixed(2).padStart(6)}`;
  if (haveTheirs) {
    const theirs = m[i++];
    line += `   ${theirs.toFixed(2).padStart(11)} ${(theirs - floor).toFixed(2).padStart(6)}   ${((ours - floor) / Math.max(theirs - floor, 0.01)).toFixed(1).padStart(6)}x`;
  }
  console.log(line);
}
