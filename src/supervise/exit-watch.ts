// Noticing the exit of a process that is not our child (a service adopted from a killed svscan): no
// SIGCHLD comes for it and Node has no pidfd, so it is polled. One timer serves every watched process
// in this Node process, and each poll is one pread(2) of /proc/PID/stat through an fd opened while
// the process's identity was checked: once that process is gone the read fails (ESRCH), even if its
// pid has been reused. 1,000 adopted services cost ~30 % of a core when each had its own timer and
// opened /proc/PID/stat by path five times a second.
import { closeSync, openSync, readSync } from 'node:fs';
import { isSameProcess } from './proc-stat.ts';

const EXIT_POLL_MS = 200;

interface Watch {
  pid: number;
  startTicks: number;
  /** An fd on this very process's /proc/PID/stat; null when none could be opened (then by path). */
  fd: number | null;
  onExit: () => void;
}

const watches = new Set<Watch>();
let timer: NodeJS.Timeout | undefined;
const buffer = Buffer.allocUnsafe(1024);

/**
 * True while the process behind `fd` (an open /proc/PID/stat) is alive: the read fails once it is
 * reaped, and the state (field 3, after the last ')' of the command name) is Z until then.
 */
function aliveByFd(fd: number): boolean {
  let n: number;
  try {
    n = readSync(fd, buffer, 0, buffer.length, 0);
  } catch {
    return false;
  }
  const paren = n > 0 ? buffer.lastIndexOf(0x29, n - 1) : -1;
  if (paren < 0) return true; // unreadable but not gone: never start a second copy on a guess
  const state = buffer[paren + 2];
  return state !== 0x5a /* Z */ && state !== 0x58 /* X */;
}

function alive(w: Watch): boolean {
  return w.fd === null ? isSameProcess(w.pid, w.startTicks) : aliveByFd(w.fd);
}

function close(w: Watch): void {
  watches.delete(w);
  if (w.fd !== null) closeSync(w.fd);
  if (watches.size === 0) {
    clearInterval(timer);
    timer = undefined;
  }
}

function poll(): void {
  for (const w of [...watches]) {
    if (!watches.has(w) || alive(w)) continue;
    close(w);
    w.onExit();
  }
}

/**
 * Calls `onExit` once process `pid`, started at `startTicks`, is gone (polled every EXIT_POLL_MS).
 * Returns false, and never calls it, when `pid` is not that process now. The returned stop function
 * ends the watch.
 */
export function watchExit(pid: number, startTicks: number, onExit: () => void): (() => void) | false {
  let fd: number | null;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    fd = null;
  }
  // The identity is checked once the fd is open, so the fd names that very process.
  if (!isSameProcess(pid, startTicks)) {
    if (fd !== null) closeSync(fd);
    return false;
  }
  const w: Watch = { pid, startTicks, fd, onExit };
  watches.add(w);
  timer ??= setInterval(poll, EXIT_POLL_MS);
  return () => { if (watches.has(w)) close(w); };
}
