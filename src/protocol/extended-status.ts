// svtools' extended status, `SERVICE/supervise/status.json`, beside daemontools' 18-byte `status`
// (which stays byte-identical). It carries what daemontools' format has no room for: readiness,
// restart counts, the last exit, backoff, and the identity of the running child (pid plus its start
// time in /proc/PID/stat) so that a new svscan can adopt a service left running by a killed one.
// Written atomically (status.json.new + rename), on state changes only. Readers must accept a
// missing file (a daemontools supervise, or an older svtools) and unknown extra fields.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './service-dir.ts';
import type { Status } from './status.ts';
import { toMilliseconds } from './tai64n.ts';

export const EXTENDED_STATUS_FILE = 'status.json';
export const EXTENDED_STATUS_VERSION = 1;

export interface LastExit {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Signal name without SIG ("TERM"), or null. */
  signal: string | null;
  /** Unix epoch milliseconds. */
  at: number;
}

/** svscan's built-in logger (src/logd/): S/log has no process, svscan itself writes the log. */
export interface LoggerStatus {
  /** The options file's format: 'relaxlogs'. */
  kind: string;
  /** The file its options come from (S/log/relaxlogs). */
  optionsFile: string;
  /** Where it writes, null for svscan's stdout (or before it opened). */
  logDir: string | null;
  /** Reading its pipe now (not down, paused, or held back by failing writes). */
  reading: boolean;
  bytesIn: number;
  /** null when the format does not count them (multilog). */
  bytesWritten: number | null;
  /** Lines read. */
  lines: number;
  /** The file being appended to, null when none is open. */
  currentFile: string | null;
  /** Writes are failing: reading waits and the write is retried (the service blocks on its full pipe). */
  backpressure: boolean;
  /** Bytes read but not yet written (held while writes fail). */
  queuedBytes: number;
  writeErrors: number;
  lastError: string | null;
}

export interface ExtendedStatus {
  version: number;
  /** Pid of ./run, 0 when down (the same as in `status`). */
  pid: number;
  /** Process group of ./run (its own: supervise starts it with setsid), 0 when down. */
  pgid: number;
  /** Field 22 of /proc/PID/stat (start time in clock ticks since boot): pid + this identify the child. */
  pidStartTicks: number | null;
  /** Epoch ms of the last start or exit (the same instant as in `status`). */
  since: number;
  /** Epoch ms when the service said it was ready (notification-fd), null when not (yet) ready. */
  readySince: number | null;
  /** Starts after the first one since this supervise took charge. */
  restarts: number;
  lastExit: LastExit | null;
  /** Epoch ms of the next start while a restart is being delayed, else null. */
  backoffUntil: number | null;
  /** True when the running child was adopted from an earlier supervisor rather than started by us. */
  adopted: boolean;
  /** Processes left in the service's process group after ./run exited, at the last exit. */
  leftovers: number;
  /** Pid of a running `finish` script, 0 or absent when none runs. */
  finishPid?: number;
  /** Present when S/log is svscan's built-in logger (pid is then svscan's own). */
  logger?: LoggerStatus;
}

export function extendedStatusPath(superviseDir: string): string {
  return join(superviseDir, EXTENDED_STATUS_FILE);
}

export function writeExtendedStatus(superviseDir: string, status: ExtendedStatus): void {
  const path = extendedStatusPath(superviseDir);
  writeFileAtomic(`${path}.new`, path, `${JSON.stringify(status)}\n`);
}

/** The extended status, or undefined when there is none (daemontools' supervise) or it is unreadable. */
/** status.json holds a few hundred bytes: anything bigger is not one, and is not read to its end. */
const EXTENDED_STATUS_MAX_BYTES = 64 * 1024;

/**
 * The text of a regular file of at most EXTENDED_STATUS_MAX_BYTES, else undefined: a status.json
 * replaced by a symlink to /dev/zero or by a fifo must neither be read for ever nor block.
 */
function readSmallRegularFile(path: string): string | undefined {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(EXTENDED_STATUS_MAX_BYTES + 1);
    const length = readSync(fd, buf, 0, buf.length, 0);
    return length > EXTENDED_STATUS_MAX_BYTES ? undefined : buf.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

export function readExtendedStatus(superviseDir: string): ExtendedStatus | undefined {
  let parsed: unknown;
  try {
    const text = readSmallRegularFile(extendedStatusPath(superviseDir));
    if (text === undefined) return undefined;
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as ExtendedStatus).version !== EXTENDED_STATUS_VERSION) return undefined;
  return parsed as ExtendedStatus;
}

/**
 * status.json is written just after `status`, and may be left over from an svtools supervise when a
 * daemontools one took over: use it only when it describes the same child and the same instant.
 */
export function consistent(ext: ExtendedStatus, status: Status): boolean {
  return ext.pid === status.pid && Math.abs(ext.since - toMilliseconds(status.since)) < 1000;
}
