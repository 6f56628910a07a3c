// The log pipe svscan holds for its whole life, under the hardest use: a service writing numbered
// lines as fast as it can (one write per line), its logger killed with kill -9 100 times, Node
// loggers (a minimal one and relaxlogs) and daemontools' multilog in turn. Each logger start gets a
// fresh open file description of the read end, so a Node logger's O_NONBLOCK never reaches multilog.
//
// What can be lost is only what a killed logger had read() but not yet written: the pipe protects
// unread bytes, nothing protects a process's own buffer. So: nothing duplicated, nothing reordered,
// every logger's output one contiguous piece of the stream, gaps only where a logger was killed,
// each gap at most one read (64 KiB), and the final logger (stopped by end of input) loses nothing.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bin, isAlive, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { exitOf, startSvscan, upPid } from './helpers.ts';

const KILLS = 100;
const READ_BOUND = 64 * 1024;
const HAVE_MULTILOG = existsSync('/usr/bin/multilog');
const RELAXLOGS = bin('relaxlogs');
const HAVE_RELAXLOGS = existsSync(RELAXLOGS) && existsSync(join(RELAXLOGS, '../../dist/relaxlogs.mjs'));

/** Which logger instance n (1-based) is, and where its output goes (relative to S/log). */
function kindOf(n: number): 'node' | 'multilog' | 'relaxlogs' {
  if (n % 2 === 0) return HAVE_MULTILOG ? 'multilog' : 'node';
  return n % 4 === 3 && HAVE_RELAXLOGS ? 'relaxlogs' : 'node';
}

function logRun(): string {
  const node = `const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'a'); process.stdin.on('data', (c) => fs.writeSync(fd, c));`;
  return `#!/bin/sh
n=$(( $(cat count 2>/dev/null || echo 0) + 1 ))
echo $n > count
case $n:$(( n % 4 )) in
  *:0|*:2) ${HAVE_MULTILOG ? 'exec multilog s16777215 ./ml.$n' : `exec ${process.execPath} -e "${node}" out.$n`} ;;
  *:3) ${HAVE_RELAXLOGS ? `exec ${RELAXLOGS} --log-dir ./rl.$n --rotation-time 1440 --max-age 0 --link-name '' --no-lock` : `exec ${process.execPath} -e "${node}" out.$n`} ;;
  *) exec ${process.execPath} -e "${node}" out.$n ;;
esac
`;
}

/** Everything logger instance n wrote, in order. */
function outputOf(logDir: string, n: number): Buffer {
  const kind = kindOf(n);
  if (kind === 'node') {
    try { return readFileSync(join(logDir, `out.${n}`)); } catch { return Buffer.alloc(0); }
  }
  const dir = join(logDir, kind === 'multilog' ? `ml.${n}` : `rl.${n}`);
  if (!existsSync(dir)) return Buffer.alloc(0);
  const files = kind === 'multilog'
    ? [...readdirSync(dir).filter((f) => f.startsWith('@')).sort(), 'current']
    : readdirSync(dir).filter((f) => f.startsWith('log.')).sort();
  return Buffer.concat(files.filter((f) => existsSync(join(dir, f))).map((f) => readFileSync(join(dir, f))));
}

function newlines(buf: Buffer, atLeast: number): boolean {
  let count = 0;
  for (let i = buf.indexOf(10); i >= 0 && count < atLeast; i = buf.indexOf(10, i + 1)) count++;
  return count >= atLeast;
}

/** Bytes of "1\n2\n...(n-1)\n": where number n starts in the stream. */
function offsetOf(n: number): number {
  let off = 0;
  for (let digits = 1, lo = 1; lo < n; digits++, lo *= 10) {
    const hi = Math.min(n - 1, lo * 10 - 1);
    off += (hi - lo + 1) * (digits + 1);
  }
  return off;
}

/**
 * Places one logger's output in the stream: [start, end) byte offsets, after checking that every
 * byte of it is exactly the stream there (so nothing inside it is missing, doubled or out of order).
 */
function place(out: string, n: number): { start: number; end: number } {
  const p = out.indexOf('\n');
  const q = out.indexOf('\n', p + 1);
  if (p < 0 || q < 0) throw new Error(`logger ${n}: fewer than two lines (${JSON.stringify(out.slice(0, 40))})`);
  const first = out.slice(p + 1, q);
  if (!/^\d+$/.test(first)) throw new Error(`logger ${n}: line ${JSON.stringify(first)} is not a number`);
  const m = Number(first);
  const prefix = out.slice(0, p + 1);
  if (!`${m - 1}\n`.endsWith(prefix)) throw new Error(`logger ${n}: ${JSON.stringify(prefix)} does not end line ${m - 1}`);
  let k = m;
  let pos = p + 1;
  for (;;) {
    const nl = out.indexOf('\n', pos);
    if (nl < 0) break;
    const line = out.slice(pos, nl);
    if (line !== String(k)) throw new Error(`logger ${n}: expected ${k}, found ${JSON.stringify(line)} (missing, duplicated or reordered)`);
    k++;
    pos = nl + 1;
  }
  const tail = out.slice(pos);
  if (!String(k).startsWith(tail)) throw new Error(`logger ${n}: trailing ${JSON.stringify(tail)} is not the start of ${k}`);
  const start = offsetOf(m) - prefix.length;
  return { start, end: start + out.length };
}

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

it(`kill -9 of the logger ${KILLS} times (Node loggers and multilog in turn): nothing duplicated or reordered, loss only at kills, at most one read each`, async () => {
  const service = sb.service('scan/numbers', `#!/bin/sh\nexec awk 'BEGIN { for (i = 1; ; i++) { print i; fflush() } }'\n`);
  const logDir = sb.service('scan/numbers/log', logRun());
  // 100 kills in a row are a crash loop to supervise: no restart backoff here (see backoff-threshold).
  writeFileSync(join(logDir, 'backoff-threshold'), '1000\n');
  // A short start hold: this test is about the pipe, not about daemontools' one-second pause.
  const svscan = startSvscan(sb, sb.path('scan'), ['--start-hold', '0.02', '--log-level', 'debug']);
  await upPid(service);
  const loggerPids: number[] = [];
  for (let n = 1; n <= KILLS; n++) {
    const pid = await waitFor(`logger ${n} (${kindOf(n)}) reading`, () => {
      const p = statusPid(logDir);
      if (!p || loggerPids.includes(p)) return undefined;
      const count = existsSync(join(logDir, 'count')) ? readFileSync(join(logDir, 'count'), 'utf8').trim() : '';
      return count === String(n) && newlines(outputOf(logDir, n), 2) ? p : undefined;
    }, 30_000, 5);
    // A random moment while lines flow.
    await new Promise((r) => setTimeout(r, Math.random() * 30));
    process.kill(pid, 'SIGKILL');
    loggerPids.push(pid);
    await waitFor(`logger ${n} dead`, () => !isAlive(pid), 10_000, 5);
  }
  const last = KILLS + 1;
  await waitFor(`logger ${last} reading`, () => newlines(outputOf(logDir, last), 2), 30_000, 5);
  const servicePid = statusPid(service);
  process.kill(svscan.pid!, 'SIGTERM');
  expect(await exitOf(svscan)).toEqual({ code: 0, signal: null });
  expect(isAlive(servicePid)).toBe(false);

  // Every logger start was one of ours: none exited by itself (as multilog does on a non-blocking stdin).
  expect(readFileSync(join(logDir, 'count'), 'utf8').trim()).toBe(String(last));
  const loggerExits = svscan.records().filter((r) => r.service === 'numbers/log' && r.msg === 'exited');
  expect(loggerExits.slice(0, KILLS).every((r) => r.signal === 'SIGKILL')).toBe(true);
  expect(loggerExits[KILLS]).toMatchObject({ code: 0, signal: null }); // the last one: end of input

  const pieces: { n: number; kind: string; start: number; end: number }[] = [];
  for (let n = 1; n <= last; n++) pieces.push({ n, kind: kindOf(n), ...place(outputOf(logDir, n).toString('latin1'), n) });
  expect(pieces[0]!.start).toBe(0);
  const gaps: { after: number; kind: string; bytes: number }[] = [];
  for (let i = 1; i < pieces.length; i++) {
    const prev = pieces[i - 1]!, cur = pieces[i]!;
    // Overlap would be a duplicate; a start before the previous end, a reordering.
    expect(cur.start, `logger ${cur.n} starts inside logger ${prev.n}'s output`).toBeGreaterThanOrEqual(prev.end);
    if (cur.start > prev.end) gaps.push({ after: prev.n, kind: prev.kind, bytes: cur.start - prev.end });
  }
  const total = pieces[pieces.length - 1]!.end;
  const lost = gaps.reduce((s, g) => s + g.bytes, 0);
  const byKind = (kind: string) => gaps.filter((g) => g.kind === kind);
  const summary = ['node', 'relaxlogs', 'multilog'].map((k) => {
    const g = byKind(k);
    const killed = pieces.slice(0, KILLS).filter((p) => p.kind === k).length;
    return `${k}: ${killed} killed, ${g.length} gaps, ${g.reduce((s, x) => s + x.bytes, 0)} bytes lost, largest ${Math.max(0, ...g.map((x) => x.bytes))}`;
  });
  console.log(`log pipe, ${KILLS} kill -9: ${total} bytes (${(total / 1e6).toFixed(1)} MB) through ${last} loggers; ` +
    `${gaps.length} gaps, ${lost} bytes lost (${((lost / total) * 100).toFixed(3)} %); ${summary.join('; ')}`);
  for (const g of gaps) expect(g.bytes, `gap after logger ${g.after} (${g.kind})`).toBeLessThanOrEqual(READ_BOUND);
  // The last logger was not killed: it read to the end of input (after svscan let go of the pipe).
  expect(outputOf(logDir, last).toString('latin1').endsWith('\n')).toBe(true);
  expect(statSync(join(logDir, 'count')).isFile()).toBe(true);
}, 180_000);
