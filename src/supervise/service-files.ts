// Optional files in a service directory that extend daemontools' behaviour, with s6's names and
// meanings where s6 has them. They are read at every start, so an edit applies from the next start
// on, as in s6. A directory without them behaves exactly as under daemontools.
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';

export interface ServiceFiles {
  /** `finish` exists and is executable. */
  finish: boolean;
  /** `timeout-finish`: ms a finish script may run before it is killed; 0 = no limit. */
  timeoutFinishMs: number;
  /** `timeout-kill`: ms after the down signal before KILL to the process group; 0 = never (daemontools). */
  timeoutKillMs: number;
  /** `down-signal`: what `svc -d` sends first. */
  downSignal: NodeJS.Signals;
  /** `notification-fd`: the fd on which ./run writes a newline when ready; undefined = no readiness. */
  notificationFd: number | undefined;
  backoff: BackoffPolicy;
}

export const DEFAULT_TIMEOUT_FINISH_MS = 5000;

/** Signal names and numbers accepted in `down-signal`: TERM, SIGTERM, 15. */
export function parseSignal(text: string): NodeJS.Signals | undefined {
  const t = text.trim().toUpperCase();
  const signals = osConstants.signals as Record<string, number>;
  if (/^\d+$/.test(t)) return Object.keys(signals).find((name) => signals[name] === Number(t)) as NodeJS.Signals | undefined;
  const name = t.startsWith('SIG') ? t : `SIG${t}`;
  return name in signals ? (name as NodeJS.Signals) : undefined;
}

/**
 * Reads the optional files of `dir`. A malformed file is reported through `warn` (with its path and
 * what it should hold) and its default is used: a typo never stops a service.
 */
export function readServiceFiles(dir: string, warn: (text: string) => void): ServiceFiles {
  // One listing instead of a failed open per absent file: a thrown ENOENT costs ~0.2 ms in Node, and
  // this runs at every start and exit (measured: 4.7 ms from exit to restart with nine throws, twice).
  let present: Set<string>;
  try {
    present = new Set(readdirSync(dir));
  } catch {
    present = new Set();
  }
  const read = (name: string): string | undefined => {
    if (!present.has(name)) return undefined;
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`unable to read ${dir}/${name}: ${(e as Error).message}`);
      return undefined;
    }
  };
  const number = (name: string, fallback: number): number => {
    const text = read(name);
    if (text === undefined) return fallback;
    if (/^\s*\d+\s*$/.test(text)) return Number(text.trim());
    warn(`${dir}/${name} should hold a whole number; using ${fallback}`);
    return fallback;
  };
  let finish = false;
  if (present.has('finish')) {
    try {
      accessSync(join(dir, 'finish'), constants.X_OK);
      finish = true;
    } catch {
      warn(`${dir}/finish is not executable: not run (chmod +x it)`);
    }
  }
  const downSignalText = read('down-signal');
  let downSignal: NodeJS.Signals = 'SIGTERM';
  if (downSignalText !== undefined) {
    const parsed = parseSignal(downSignalText);
    if (parsed) downSignal = parsed;
    else warn(`${dir}/down-signal should hold a signal name or number such as TERM or 3; using TERM`);
  }
  const fdText = read('notification-fd');
  let notificationFd: number | undefined;
  if (fdText !== undefined) {
    const fd = Number(fdText.trim());
    // 0-2 are the service's stdio; s6 refuses them too.
    if (/^\s*\d+\s*$/.test(fdText) && fd >= 3 && fd < 1024) notificationFd = fd;
    else warn(`${dir}/notification-fd should hold a descriptor number from 3 to 1023; readiness not tracked`);
  }
  return {
    finish,
    timeoutFinishMs: number('timeout-finish', DEFAULT_TIMEOUT_FINISH_MS),
    timeoutKillMs: number('timeout-kill', 0),
    downSignal,
    notificationFd,
    backoff: {
      threshold: number('backoff-threshold', DEFAULT_BACKOFF.threshold),
      baseMs: number('backoff-base', DEFAULT_BACKOFF.baseMs),
      maxMs: number('backoff-max', DEFAULT_BACKOFF.maxMs),
      resetMs: number('backoff-reset', DEFAULT_BACKOFF.resetMs),
      jitter: DEFAULT_BACKOFF.jitter,
    },
  };
}
