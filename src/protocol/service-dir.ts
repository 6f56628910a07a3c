// Paths inside a daemontools service directory, and the atomic status write every reader relies on.
import { closeSync, constants, openSync, readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { djbErrorText } from './errors.ts';
import { encodeStatus, STATUS_SIZE, type Status } from './status.ts';
import { call, io, runSync, type Steps } from './io-steps.ts';
import { writeAllSync } from './write-all.ts';

export interface ServicePaths {
  dir: string;
  run: string;
  down: string;
  superviseDir: string;
  lock: string;
  control: string;
  ok: string;
  status: string;
  statusNew: string;
}

export function servicePaths(dir: string): ServicePaths {
  const sup = join(dir, 'supervise');
  return {
    dir,
    run: join(dir, 'run'),
    down: join(dir, 'down'),
    superviseDir: sup,
    lock: join(sup, 'lock'),
    control: join(sup, 'control'),
    ok: join(sup, 'ok'),
    status: join(sup, 'status'),
    statusNew: join(sup, 'status.new'),
  };
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Creates `path` as a new file of ours and opens it for writing; whatever was there (a crash's
 * leftover, or a symlink or hard link planted by someone who can write the directory) is unlinked,
 * never opened: O_EXCL|O_NOFOLLOW, so root never writes through a link to another file
 * (doc/security.md).
 */
export function createFileExclusive(path: string, mode: number): number {
  return runSync(creatingFileExclusive(path, mode));
}

/** The same as steps (src/protocol/io-steps.ts). */
export function* creatingFileExclusive(path: string, mode: number): Steps<number> {
  try {
    return yield* call(io.open(path, CREATE_NEW, mode));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  yield* call(io.unlink(path));
  return yield* call(io.open(path, CREATE_NEW, mode));
}

/**
 * Writes `data` to `path` so that no reader ever sees a partial file: write `tmp` (created afresh,
 * see createFileExclusive), then rename. Throws with `step` ('write', 'rename') set, for
 * daemontools-style messages.
 */
export function writeFileAtomic(tmp: string, path: string, data: Buffer | string, mode = 0o644): void {
  try {
    const fd = createFileExclusive(tmp, mode);
    try {
      writeAllSync(fd, Buffer.from(data));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw Object.assign(err as Error, { step: 'write', target: tmp });
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    throw Object.assign(err as Error, { step: 'rename', target: tmp });
  }
}

export function writeStatusFile(paths: ServicePaths, status: Status): void {
  writeFileAtomic(paths.statusNew, paths.status, encodeStatus(status));
}

/**
 * Reads at most 18 bytes of a status file in one read(2), as daemontools does. On failure returns
 * daemontools' wording, naming the failed step: `unable to open NAME: ...` or `unable to read NAME: ...`.
 */
export function readStatusBytes(path: string, name = 'supervise/status'): Buffer | string {
  let fd: number;
  try {
    // Non-blocking: a fifo planted as the status file reads as empty (bad format) instead of hanging.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return `unable to open ${name}: ${djbErrorText(e)}`;
  }
  try {
    const buf = Buffer.alloc(STATUS_SIZE);
    return buf.subarray(0, readSync(fd, buf, 0, STATUS_SIZE, null));
  } catch (e) {
    return `unable to read ${name}: ${djbErrorText(e)}`;
  } finally {
    closeSync(fd);
  }
}
