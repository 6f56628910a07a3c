// Restarts per window for svcheck. status.json only has a counter (starts after the first one since
// this supervise took charge), so a rate needs history: each svcheck run appends (time, counter) to
// a small state file and counts the increase of the counter over the window, Prometheus-style: a
// counter that went down means supervise was restarted (the counter started again from 0), and the
// new value is all increase. With no sample as old as the window yet, the count covers the history
// there is (a lower bound); the first run of all sees 0.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../protocol/service-dir.ts';

export type Sample = [timeMs: number, counter: number];

export interface StateFile {
  version: 1;
  /** Samples per service, keyed by the service's absolute path, oldest first. */
  services: Record<string, Sample[]>;
}

/** At most this many samples are kept per service (beyond those, the oldest go). */
const MAX_SAMPLES = 4096;

export function defaultStateFile(serviceDir: string): string {
  const uid = process.getuid?.() ?? 0;
  return join('/var/tmp', `svcheck-${uid}`, `${encodeURIComponent(resolve(serviceDir))}.json`);
}

export function readStateFile(path: string): StateFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
    if (parsed && parsed.version === 1 && typeof parsed.services === 'object' && parsed.services) return parsed;
  } catch { /* missing or damaged: start again */ }
  return { version: 1, services: {} };
}

export function writeStateFile(path: string, state: StateFile): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
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
