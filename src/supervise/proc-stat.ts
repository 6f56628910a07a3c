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
