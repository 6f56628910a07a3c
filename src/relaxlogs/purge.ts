// Retention: by age (mtime, relaxlogs' --max-age), by count and by total size. Only names the
// pattern can produce (plus a generation `.N` and `.gz`) are ever candidates, never the active file.
// Runs to the end before anything else touches the directory (relaxlogs' background purge was cut
// short by exit): as steps of the stream's one queue (src/protocol/io-steps.ts).
import type fs from 'node:fs';
import path from 'node:path';
import { call, io, type Steps } from '../protocol/io-steps.ts';

export interface Retention {
  /** Milliseconds; 0 = no age limit. */
  maxAge: number;
  /** Files kept including the active one; 0 = no count limit. */
  count: number;
  /** Bytes kept including the active file; 0 = no size limit. */
  totalSize: number;
}

export function ownFileRegex(patternRegexSource: string): RegExp {
  return new RegExp(`^${patternRegexSource}(?:\\.\\d+)?(?:\\.gz)?$`);
}

interface Candidate { name: string; mtime: number; size: number }

/** Deletes what retention allows; returns the names deleted. Errors on single files are skipped. */
export function* purge(dir: string, own: RegExp, active: string | null, r: Retention, now: number): Steps<string[]> {
  if (!r.maxAge && !r.count && !r.totalSize) return [];
  const files: Candidate[] = [];
  let activeSize = 0;
  for (const name of yield* call(io.readdir(dir))) {
    if (!own.test(name)) continue;
    let st: fs.Stats;
    try { st = yield* call(io.lstat(path.join(dir, name))); } catch { continue; }
    if (!st.isFile()) continue;
    if (name === active) { activeSize = st.size; continue; }
    files.push({ name, mtime: st.mtimeMs, size: st.size });
  }
  // Newest first; the name breaks mtime ties (generations `.N` compared numerically).
  files.sort((a, b) => b.mtime - a.mtime || b.name.localeCompare(a.name, 'en', { numeric: true }));
  const doomed: Candidate[] = [];
  let kept = active ? 1 : 0;
  let total = activeSize;
  /** Once one file does not fit, no older one is kept: retention never leaves holes. */
  let full = false;
  for (const f of files) {
    const old = r.maxAge > 0 && f.mtime < now - r.maxAge;
    const tooMany = r.count > 0 && kept >= r.count;
    full ||= r.totalSize > 0 && total + f.size > r.totalSize;
    if (old || tooMany || full) doomed.push(f);
    else { kept++; total += f.size; }
  }
  const deleted: string[] = [];
  for (const f of doomed) {
    try { yield* call(io.unlink(path.join(dir, f.name))); deleted.push(f.name); } catch { /* gone already or not ours to take */ }
  }
  return deleted;
}
