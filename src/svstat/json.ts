// `svstat --json`: one object per service, one line each (JSON Lines), in the shape doc/svstat.md
// documents (--json). Times are RFC 3339 UTC, durations whole seconds; an unknown value is null, never omitted.
import type { Fields } from './fields.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

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
  };
}

export function jsonLines(all: readonly Fields[]): string[] {
  return all.map((f) => JSON.stringify(toJson(f)));
}
