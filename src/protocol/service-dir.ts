// Paths inside a daemontools service directory, and the atomic status write every reader relies on.
import { closeSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { djbErrorText } from './errors.ts';
import { encodeStatus, STATUS_SIZE, type Status } from './status.ts';

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

/**
 * Writes `data` to `path` so that no reader ever sees a partial file: write `tmp`, then rename.
 * Throws with `step` ('open', 'rename') set, for daemontools-style messages.
 */
export function writeFileAtomic(tmp: string, path: string, data: Buffer | string, mode = 0o644): void {
  try {
    writeFileSync(tmp, data, { mode });
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
    fd = openSync(path, 'r');
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
