// The one field vocabulary every format uses (doc/svstat.md, Fields): up, ready, wantedup, normallyup,
// paused, pid, pgid, updownfor, readyfor, restarts, exitcode, signal, backoff. null = unknown.
import type { LoggerStatus } from '../protocol/extended-status.ts';
import { readiness, type ServiceState } from '../protocol/service-state.ts';
import { toMilliseconds } from '../protocol/tai64n.ts';

export type State = 'up' | 'starting' | 'down' | 'backoff' | 'unsupervised' | 'error';

export interface Fields {
  service: string;
  dir: string;
  /**
   * up (and ready, when the service reports readiness); starting (up, reports readiness, not ready
   * yet); down; backoff (down, wanted up, a restart is being delayed); unsupervised (no supervise
   * runs); error (the status could not be read: see `error`).
   */
  state: State;
  error: string | null;
  supervised: boolean | null;
  /** True only when supervise runs and its status names a pid; false when no supervise runs. */
  up: boolean | null;
  /** Up and, for a service with `notification-fd`, reported ready; = up without notification-fd. */
  ready: boolean | null;
  wanted: 'up' | 'down' | 'once' | null;
  wantedup: boolean | null;
  normallyup: boolean | null;
  paused: boolean | null;
  /** Pid of ./run, 0 when down. */
  pid: number | null;
  /** Its process group, 0 when down; needs status.json. */
  pgid: number | null;
  /** Epoch ms of the last start or exit. */
  sinceMs: number | null;
  /** Whole seconds since the last start or exit (svstat's figure). */
  updownfor: number | null;
  /** Epoch ms when it became ready, null when not ready. */
  readySinceMs: number | null;
  /** Whole seconds ready, 0 when not ready. */
  readyfor: number | null;
  /** Starts after the first since this supervise took charge; needs status.json. */
  restarts: number | null;
  lastExit: { code: number | null; signal: string | null; atMs: number } | null;
  /** Exit code of the last exit, -1 when it was killed by a signal, null when none is known. */
  exitcode: number | null;
  /** Signal name of the last exit ("TERM"), "none" for a normal exit, null when none is known. */
  signal: string | null;
  /** Whole seconds until the delayed next start, 0 when none; needs status.json. */
  backoff: number | null;
  backoffUntilMs: number | null;
  log: Fields | null;
  /** svscan's built-in logger's figures, when this directory is one (S/log with no run script). */
  logger: LoggerStatus | null;
}

export function fieldsOf(snap: ServiceState, nowMs: number): Fields {
  const { status, ext } = snap;
  const nowS = Math.floor(nowMs / 1000);
  const up = status ? status.pid !== 0 : snap.supervised === false ? false : null;
  const ready = readiness(snap);
  const readySinceMs = !ready || !status ? null : snap.readiness && ext ? ext.readySince : toMilliseconds(status.since);
  const lastExit = ext?.lastExit ? { code: ext.lastExit.code, signal: ext.lastExit.signal, atMs: ext.lastExit.at } : null;
  const backoffUntilMs = ext && status && !status.pid && ext.backoffUntil !== null && ext.backoffUntil > nowMs ? ext.backoffUntil : null;
  let state: State;
  if (snap.supervised === false) state = 'unsupervised';
  else if (!status) state = 'error';
  else if (status.pid) state = ready === false ? 'starting' : 'up';
  else state = backoffUntilMs !== null && status.want === 'up' ? 'backoff' : 'down';
  return {
    service: snap.service,
    dir: snap.dir,
    state,
    error: snap.error,
    supervised: snap.supervised,
    up,
    ready,
    wanted: status ? status.want : null,
    wantedup: status ? status.want === 'up' : null,
    normallyup: snap.normallyUp,
    paused: status ? status.pid !== 0 && status.paused : null,
    pid: status ? status.pid : null,
    pgid: status ? (status.pid === 0 ? 0 : ext ? ext.pgid : null) : null,
    sinceMs: status ? toMilliseconds(status.since) : null,
    updownfor: status ? Math.max(0, nowS - status.since.seconds) : null,
    readySinceMs,
    readyfor: ready === null ? null : readySinceMs === null ? 0 : Math.max(0, nowS - Math.floor(readySinceMs / 1000)),
    restarts: ext ? ext.restarts : null,
    lastExit,
    exitcode: lastExit ? (lastExit.code ?? -1) : null,
    signal: lastExit ? (lastExit.signal ?? 'none') : null,
    backoff: ext && status ? (backoffUntilMs === null ? 0 : Math.ceil((backoffUntilMs - nowMs) / 1000)) : null,
    backoffUntilMs,
    log: snap.log ? fieldsOf(snap.log, nowMs) : null,
    logger: ext?.logger ?? null,
  };
}

/** The names `svstat -o` accepts, in the vocabulary of doc/svstat.md (plus a few s6-svstat extras). */
export const FIELD_NAMES = [
  'up', 'ready', 'wantedup', 'normallyup', 'paused', 'pid', 'pgid', 'updownfor', 'readyfor', 'restarts',
  'exitcode', 'signal', 'backoff', 'state', 'updownsince', 'readysince', 'supervised',
  'logup', 'logpid', 'logupdownfor', 'logbytes', 'loglines', 'logbackpressure',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

const bit = (b: boolean | null) => (b === null ? '' : b ? '1' : '0');
const num = (n: number | null) => (n === null ? '' : String(n));
const epoch = (ms: number | null) => (ms === null ? '' : String(Math.floor(ms / 1000)));

/** One bare value for `svstat -o`: 1/0 for flags, whole seconds, counters; '' when unknown. */
export function fieldValue(f: Fields, name: FieldName): string {
  switch (name) {
    case 'up': return bit(f.up);
    case 'ready': return bit(f.ready);
    case 'wantedup': return bit(f.wantedup);
    case 'normallyup': return bit(f.normallyup);
    case 'paused': return bit(f.paused);
    case 'supervised': return bit(f.supervised);
    case 'pid': return num(f.pid);
    case 'pgid': return num(f.pgid);
    case 'updownfor': return num(f.updownfor);
    case 'readyfor': return num(f.readyfor);
    case 'restarts': return num(f.restarts);
    case 'exitcode': return num(f.exitcode);
    case 'signal': return f.signal ?? '';
    case 'backoff': return num(f.backoff);
    case 'state': return f.state;
    case 'updownsince': return epoch(f.sinceMs);
    case 'readysince': return epoch(f.readySinceMs);
    case 'logup': return f.log ? bit(f.log.up) : '';
    case 'logpid': return f.log ? num(f.log.pid) : '';
    case 'logupdownfor': return f.log ? num(f.log.updownfor) : '';
    // The built-in logger's figures: of S/log for S, of the directory itself for S/log; '' otherwise.
    case 'logbytes': return num(loggerOf(f)?.bytesWritten ?? null);
    case 'loglines': return num(loggerOf(f)?.lines ?? null);
    case 'logbackpressure': return bit(loggerOf(f)?.backpressure ?? null);
  }
}

function loggerOf(f: Fields): LoggerStatus | null {
  return f.log ? f.log.logger : f.logger;
}

export function isFieldName(name: string): name is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(name);
}
