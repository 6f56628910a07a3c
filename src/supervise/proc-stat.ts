// Process identity from /proc/PID/stat: a pid alone can be reused, a pid plus its start time (field 22,
// clock ticks since boot) cannot. This is what lets a new svscan adopt a service a killed one left
// running, and what every signal to an adopted process is checked against first.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  /** Field 3: R, S, D, T, Z, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Field 22: start time in clock ticks after boot. */
  startTicks: number;
}

/** Parses /proc/PID/stat; undefined when the process does not exist (or /proc is unreadable). */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field N is fields[N - 3].
  const num = (n: number) => Number(fields[n - 3]);
  const startTicks = num(22);
  if (!Number.isFinite(startTicks)) return undefined;
  return { state: fields[0] ?? '?', ppid: num(4), pgrp: num(5), session: num(6), startTicks };
}

/** Start ticks of a live (non-zombie) process, undefined when it is gone or a zombie. */
export function liveStartTicks(pid: number): number | undefined {
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  return stat.startTicks;
}

/** True when `pid` is alive (not a zombie) and is the very process that started at `startTicks`. */
export function isSameProcess(pid: number, startTicks: number | null | undefined): boolean {
  if (startTicks === null || startTicks === undefined) return false;
  return liveStartTicks(pid) === startTicks;
}

/**
 * Why `pid` cannot be the ./run a supervisor recorded with `startTicks`, undefined when it can: alive
 * with those start ticks, and the leader of its own session and process group, as every ./run is
 * (started with setsid, and a session leader can change neither). Never PID 1 nor this process.
 * A forged or stale status.json naming init, svscan itself or any other program is thus never
 * adopted, and an adopted pid's group is never one that kill(-pid) would make everyone's.
 */
export function notAdoptable(pid: number, startTicks: number): string | undefined {
  if (pid === 1 || pid === process.pid) return 'it is init or this supervisor';
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return 'it is not running';
  if (stat.startTicks !== startTicks) return 'it started at another time (a reused pid)';
  if (stat.session !== pid || stat.pgrp !== pid) return 'it does not lead its own session and process group, as ./run does';
  return undefined;
}

/** Live (non-zombie) processes whose process group is `pgid`, from a scan of /proc. */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readProcStat(pid);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(pid);
  }
  return members;
}
