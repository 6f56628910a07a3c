// `svstat --json`: one object per service, one line each (JSON Lines), in the shape doc/svstat.md
// documents (--json). Times are RFC 3339 UTC, durations whole seconds; an unknown value is null, never omitted.
import type { Fields } from './fields.ts';

// A damaged status file can hold a time no Date can represent: null, as for no time at all.
const iso = (ms: number | null) => {
  const date = ms === null ? undefined : new Date(ms);
  return date === undefined || Number.isNaN(date.getTime()) ? null : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
};

export interface ServiceJson {
  service: string;
  dir: string;
  state: Fields['state'];
  error: string | null;
  supervised: boolean | null;
  up: boolean | null;
  ready: boolean | null;
  wanted: Fields['wanted'];
  normally: 'up' | 'down' | null;
  paused: boolean | null;
  pid: number | null;
  pgid: number | null;
  since: string | null;
  uptime_s: number | null;
  downtime_s: number | null;
  ready_since: string | null;
  restarts: number | null;
  backoff_s: number | null;
  backoff_until: string | null;
  last_exit: { code: number | null; signal: string | null; at: string | null } | null;
  log: ServiceJson | null;
  /** svscan's built-in logger (this directory is S/log with no run script), else null. */
  logger: LoggerJson | null;
}

export interface LoggerJson {
  kind: string;
  options_file: string;
  log_dir: string | null;
  current_file: string | null;
  reading: boolean;
  backpressure: boolean;
  bytes_in: number;
  bytes_written: number | null;
  lines: number;
  queued_bytes: number;
  write_errors: number;
  last_error: string | null;
}

function loggerJson(l: NonNullable<Fields['logger']>): LoggerJson {
  return {
    kind: l.kind,
    options_file: l.optionsFile,
    log_dir: l.logDir,
    current_file: l.currentFile,
    reading: l.reading,
    backpressure: l.backpressure,
    bytes_in: l.bytesIn,
    bytes_written: l.bytesWritten,
    lines: l.lines,
    queued_bytes: l.queuedBytes,
    write_errors: l.writeErrors,
    last_error: l.lastError,
  };
}

export function toJson(f: Fields): ServiceJson {
  return {
    service: f.service,
    dir: f.dir,
    state: f.state,
    error: f.error,
    supervised: f.supervised,
    up: f.up,
    ready: f.ready,
    wanted: f.wanted,
    normally: f.normallyup === null ? null : f.normallyup ? 'up' : 'down',
    paused: f.paused,
    pid: f.pid,
    pgid: f.pgid,
    since: iso(f.sinceMs),
    uptime_s: f.up ? f.updownfor : null,
    downtime_s: f.up === false && f.updownfor !== null ? f.updownfor : null,
    ready_since: iso(f.readySinceMs),
    restarts: f.restarts,
    backoff_s: f.backoff,
    backoff_until: iso(f.backoffUntilMs),
    last_exit: f.lastExit ? { code: f.lastExit.code, signal: f.lastExit.signal, at: iso(f.lastExit.atMs) } : null,
    log: f.log ? toJson(f.log) : null,
    logger: f.logger ? loggerJson(f.logger) : null,
  };
}

export function jsonLines(all: readonly Fields[]): string[] {
  return all.map((f) => JSON.stringify(toJson(f)));
}
