// Restarts per window for svcheck. status.json only has a counter (starts after the first one since
// this supervise took charge), so a rate needs history: each svcheck run appends (time, counter) to
// a small state file and counts the increase of the counter over the window, Prometheus-style: a
// counter that went down means supervise was restarted (the counter started again from 0), and the
// new value is all increase. With no sample as old as the window yet, the count covers the history
// there is (a lower bound); the first run of all sees 0.
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../protocol/service-dir.ts';

export type Sample = [timeMs: number, counter: number];

export interface StateFile {
  version: 1;
  /** Samples per service, keyed by the service's absolute path, oldest first. */
  services: Record<string, Sample[]>;
}

/** At most this many samples are kept per service (beyond those, the oldest go). */
const MAX_SAMPLES = 4096;

const uid = process.getuid?.() ?? 0;
/** In /var/tmp, which anyone may write: another user could make it first (doc/security.md). */
const DEFAULT_STATE_DIR = join('/var/tmp', `svcheck-${uid}`);

export function defaultStateFile(serviceDir: string): string {
  return join(DEFAULT_STATE_DIR, `${encodeURIComponent(resolve(serviceDir))}.json`);
}

/**
 * The default state directory must be a directory (not a link) of ours that nobody else may write:
 * samples planted there would fake a restart rate, a link would send our writes elsewhere.
 */
function checkPrivate(path: string): void {
  if (dirname(path) === DEFAULT_STATE_DIR) checkPrivateDirectory(DEFAULT_STATE_DIR, uid);
}

export function checkPrivateDirectory(dir: string, owner: number): void {
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== owner || (st.mode & 0o022) !== 0) {
    const what = st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? `owned by uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}` : 'not a directory';
    throw new Error(`${dir} is not a private directory of uid ${owner} (${what}): remove it, or give --state-file`);
  }
}

export function readStateFile(path: string): StateFile {
  try {
    checkPrivate(path);
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
    if (parsed && parsed.version === 1 && typeof parsed.services === 'object' && parsed.services) return parsed;
  } catch { /* missing or damaged: start again */ }
  return { version: 1, services: {} };
}

export function writeStateFile(path: string, state: StateFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  checkPrivate(path);
  writeFileAtomic(`${path}.${process.pid}.new`, path, `${JSON.stringify(state)}\n`, 0o600);
}

/** Increase of the counter over [now - window, now], given past samples and the current value. */
export function increaseOver(samples: readonly Sample[], nowMs: number, windowMs: number, current: number): { count: number; covered: number } {
  const points = samples.filter(([t]) => t <= nowMs);
  let start = 0;
  for (let i = 0; i < points.length; i++) if (points[i]![0] <= nowMs - windowMs) start = i;
  const used = [...points.slice(start), [nowMs, current] as Sample];
  let count = 0;
  for (let i = 1; i < used.length; i++) {
    const a = used[i - 1]![1], b = used[i]![1];
    count += b >= a ? b - a : b;
  }
  return { count, covered: nowMs - used[0]![0] };
}

/** The samples to keep: those inside the longest window, plus one older anchor; capped. */
export function prune(samples: readonly Sample[], nowMs: number, windowMs: number): Sample[] {
  const points = samples.filter(([t]) => t <= nowMs);
  let start = 0;
  for (let i = 0; i < points.length; i++) if (points[i]![0] <= nowMs - windowMs) start = i;
  const kept = points.slice(start);
  return kept.length > MAX_SAMPLES ? kept.slice(kept.length - MAX_SAMPLES) : kept;
}
