// Paths inside a daemontools service directory, and the atomic status write every reader relies on.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeStatus, type Status } from './status.ts';

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
