// Real sabo processes on real pipes, with every received chunk time-stamped, for the throttle tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SABO = join(ROOT, 'bin', 'sabo');
export const THROTTLE = join(ROOT, 'bin', 'throttle');

const started = new Set<ChildProcess>();
const dirs: string[] = [];

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sabo-test-'));
  dirs.push(d);
  return d;
}

/** Kills what the test started (by pid) and removes its directories: call from afterEach. */
export function cleanup(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface Run {
  child: ChildProcess;
  /** [performance.now(), bytes] for every chunk received from sabo's stdout. */
  chunks: [number, number][];
  startedAt: number;
  sha256(): string;
  bytes(): number;
  stderr(): string;
  /** The output itself, when started with `keep`. */
  chunksData(): Buffer[];
  /** Exit status as a shell reports it: 128+N when killed by signal N. */
  done: Promise<number>;
}

export function track(child: ChildProcess): void {
  started.add(child);
}

/** Starts `bin/sabo` (or another program) with piped stdout, and stdin piped from the test or given. */
export function startSabo(args: string[], program = SABO, stdin: 'pipe' | Readable = 'pipe', keep = false): Run {
  const child = spawn(program, args, { stdio: [stdin, 'pipe', 'pipe'] });
  track(child);
  const t0 = performance.now();
  const hash = createHash('sha256');
  let bytes = 0;
  let stderr = '';
  const chunks: [number, number][] = [];
  const data: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => {
    if (keep) data.push(c);
    bytes += c.length;
    hash.update(c);
    chunks.push([performance.now(), c.length]);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  child.stdin?.on('error', () => { /* EPIPE when sabo exits first: the test looks at the status */ });
  const done = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(signal ? 128 + osConstants.signals[signal] : code!));
  });
  let digest: string | undefined;
  return {
    child, chunks, done, startedAt: t0,
    sha256: () => (digest ??= hash.digest('hex')),
    bytes: () => bytes,
    stderr: () => stderr,
    chunksData: () => data,
  };
}

/** Writes `total` bytes of `pattern` (repeated) to a stream, honouring back-pressure, then ends it. */
export async function feed(stream: Writable, pattern: Buffer, total: number, end = true): Promise<void> {
  let sent = 0;
  while (sent < total && !stream.destroyed) {
    const chunk = pattern.subarray(0, Math.min(pattern.length, total - sent));
    sent += chunk.length;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const go = () => { stream.off('drain', go); stream.off('close', go); resolve(); };
        stream.on('drain', go);
        stream.on('close', go);
      });
    }
  }
  if (end) stream.end();
}

export function sha256Of(pattern: Buffer, total: number): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < total; sent += pattern.length) h.update(pattern.subarray(0, Math.min(pattern.length, total - sent)));
  return h.digest('hex');
}

/** Bytes per second from the first chunk to the last (the first chunk's own bytes excluded). */
export function achievedRate(chunks: [number, number][]): number {
  let bytes = 0;
  for (const [, n] of chunks.slice(1)) bytes += n;
  return (bytes * 1000) / (chunks[chunks.length - 1]![0] - chunks[0]![0]);
}

/** Most bytes in any window of `windowMs` ending at a chunk, over chunks of several processes. */
export function maxWindow(chunks: [number, number][], windowMs: number, fromMs = -Infinity): number {
  const points = chunks.filter(([t]) => t >= fromMs).sort((a, b) => a[0] - b[0]);
  let best = 0;
  let sum = 0;
  let j = 0;
  for (const [t, n] of points) {
    sum += n;
    while (t - points[j]![0] >= windowMs) sum -= points[j++]![1];
    best = Math.max(best, sum);
  }
  return best;
}

/** Bytes received in [from, to). */
export function bytesBetween(chunks: [number, number][], from: number, to: number): number {
  return chunks.filter(([t]) => t >= from && t < to).reduce((a, [, n]) => a + n, 0);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lock files, published (`sabo_...`) and temporary (`_sabo_...`) alike. */
export function lockFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('sabo_')).sort();
}

/** Lock files of processes that have finished joining. */
export function publishedLocks(dir: string): string[] {
  return lockFiles(dir).filter((f) => f.startsWith('sabo_'));
}
