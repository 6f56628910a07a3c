// 1,000,000 numbered lines through a held pipe (as svscan holds a logger's pipe across restarts),
// with the logger killed by SIGKILL again and again. Every logger gets the same open pipe, left
// O_NONBLOCK by its killed predecessor. What a killed logger had read but not yet written is lost
// (as with multilog); nothing may ever be duplicated or reordered, and the loss per kill is bounded
// by one read (64 KiB).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { RELAXLOGS, tempDir, waitFor } from './helpers.ts';

const LINES = 1_000_000;
const MAX_KILLS = 40;
const READ_SIZE = 64 * 1024;

let cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.reverse()) c(); cleanups = []; });

function tail(file: string, n: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const b = Buffer.alloc(Math.min(n, size));
      fs.readSync(fd, b, 0, b.length, size - b.length);
      return b.toString();
    } finally { fs.closeSync(fd); }
  } catch { return ''; }
}

it('kill -9 many times: nothing duplicated or reordered, loss bounded by one read per kill', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const fifo = path.join(t.dir, 'pipe');
  const logs = path.join(t.dir, 'log');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const held = fs.openSync(fifo, fs.constants.O_RDWR);
  cleanups.push(() => fs.closeSync(held));
  const live: ChildProcess[] = [];
  cleanups.push(() => { for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); });

  // The producer: paced batches, so that kills land while lines flow; blocks while no logger reads.
  const producer = spawn(process.execPath, ['-e', `
    const fs = require('fs');
    const fd = fs.openSync(${JSON.stringify(fifo)}, 'w');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const pad = 'x'.repeat(16);
    for (let i = 0; i < ${LINES}; i += 1000) {
      let s = '';
      for (let j = i; j < i + 1000; j++) s += 'line ' + String(j).padStart(7, '0') + ' ' + pad + '\\n';
      const b = Buffer.from(s);
      for (let off = 0; off < b.length;) off += fs.writeSync(fd, b, off);
      Atomics.wait(pause, 0, 0, 8);
    }
    fs.writeSync(fd, 'END\\n');
  `], { stdio: 'ignore' });
  live.push(producer);
  const produced = new Promise<void>((resolve) => producer.on('exit', () => resolve()));
  let producerDone = false;
  void produced.then(() => { producerDone = true; });

  /** Starts a logger on the held pipe and resolves once it says it is ready (--ready-fd). */
  const startLogger = async (): Promise<ChildProcess> => {
    const c = spawn(RELAXLOGS, ['--log-dir', logs, '--rotation-time', '1440', '--ready-fd', '3'], { stdio: [held, 'ignore', 'inherit', 'pipe'] });
    live.push(c);
    await new Promise((resolve) => { c.stdio[3]!.once('data', resolve); c.once('exit', resolve); });
    return c;
  };
  const exitOf = (c: ChildProcess) => new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve({ code: c.exitCode, signal: c.signalCode });
    else c.on('exit', (code, signal) => resolve({ code, signal }));
  });

  let kills = 0;
  while (kills < MAX_KILLS && !producerDone) {
    const c = await startLogger();
    // The stimulus: a random moment while lines flow.
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 300));
    c.kill('SIGKILL');
    const status = await exitOf(c);
    expect(status, 'a logger must only die of our SIGKILL').toEqual({ code: null, signal: 'SIGKILL' });
    kills++;
  }
  const last = await startLogger();
  await waitFor('END in the log', () => tail(path.join(logs, 'current'), 64).endsWith('END\n'), 100_000);
  await produced;
  last.kill('SIGTERM');
  expect(await exitOf(last), 'TERM: a clean exit').toEqual({ code: 0, signal: null });

  const files = fs.readdirSync(logs).filter((n) => n.startsWith('log.')).sort();
  const text = files.map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
  const lines = text.split('\n');
  expect(lines.pop(), 'the log ends with a newline').toBe('');
  expect(lines.pop(), 'the last line is END').toBe('END');
  // A gap is a run of missing numbers; a kill can make at most one, of at most one read.
  let previous = -1;
  let garbled = 0;
  let disorder = 0;
  const gaps: number[] = [];
  const wellFormed = /^line (\d{7}) x{16}$/;
  for (const line of lines) {
    const m = wellFormed.exec(line);
    if (!m) { garbled++; continue; }
    const n = Number(m[1]);
    if (n <= previous) disorder++;
    else if (n > previous + 1) gaps.push(n - previous - 1);
    previous = n;
  }
  if (previous < LINES - 1) gaps.push(LINES - 1 - previous);
  const missing = gaps.reduce((a, b) => a + b, 0);
  const lineBytes = 30;
  console.log(`kill -9: ${kills} kills, ${LINES} lines sent, ${missing} missing in ${gaps.length} gap(s) [${gaps.join(', ')}], ${garbled} garbled, ${disorder} duplicated or out of order`);
  expect(disorder).toBe(0);
  expect(garbled).toBeLessThanOrEqual(kills);
  expect(gaps.length).toBeLessThanOrEqual(kills);
  for (const gap of gaps) expect(gap).toBeLessThanOrEqual(Math.ceil(READ_SIZE / lineBytes) + 1);
  expect(kills).toBeGreaterThanOrEqual(5);
}, 180_000);
