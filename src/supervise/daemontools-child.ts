// The ./run that daemontools' supervise left running (doc/migrate-from-daemontools.md). daemontools
// writes only supervise/status: the pid and the time of the fork, no start ticks. A pid alone may
// have been reused since, so the process is taken for the service only when it is alive, no zombie,
// neither init nor svscan itself, and it either started when the status says (its start ticks after boot plus
// /proc/stat's btime, within START_WINDOW_MS of the status timestamp: daemontools writes the status
// right after fork) or works in the service directory (/proc/PID/cwd), which holds through a step
// of the wall clock between the start and now (that moves btime, not the timestamp in the status).
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import type { Status } from '../protocol/status.ts';
import { toMilliseconds } from '../protocol/tai64n.ts';
import { readProcStat } from './proc-stat.ts';

/** /proc's clock ticks per second (USER_HZ, 100 on every architecture Linux exports to /proc). */
const USER_HZ = 100;
/** Fork to status write on a loaded machine, btime's whole seconds and the ticks' 10 ms. */
const START_WINDOW_MS = 3000;

export type DaemontoolsChild = { pid: number; startTicks: number } | { rejected: string };

/** The process `status` (written by daemontools) names, if it is the service's ./run. */
export function daemontoolsChild(dir: string, status: Status): DaemontoolsChild | undefined {
  const pid = status.pid;
  if (!pid || pid === 1 || pid === process.pid) return undefined;
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  const startedAt = bootTimeMs() + (stat.startTicks * 1000) / USER_HZ;
  const offsetMs = Math.round(startedAt - toMilliseconds(status.since));
  if (Math.abs(offsetMs) <= START_WINDOW_MS) return { pid, startTicks: stat.startTicks };
  const cwd = workingDirectory(pid);
  if (cwd !== undefined && cwd === realDirectory(dir)) return { pid, startTicks: stat.startTicks };
  return { rejected: `${dir}/supervise/status names pid ${pid}, which is not ${dir}/run (started ${offsetMs} ms from the status time, works in ${cwd ?? 'an unreadable directory'}): not adopted; ./run starts` };
}

/** Wall-clock time of the boot in ms (/proc/stat btime: whole seconds); 0 when unreadable. */
function bootTimeMs(): number {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    return m ? Number(m[1]) * 1000 : 0;
  } catch {
    return 0;
  }
}

function workingDirectory(pid: number): string | undefined {
  try { return readlinkSync(`/proc/${pid}/cwd`); } catch { return undefined; }
}

function realDirectory(dir: string): string | undefined {
  try { return realpathSync(dir); } catch { return undefined; }
}
