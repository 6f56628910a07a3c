// svcheck (≡ svstat --check): a Nagios/Icinga/Naemon/Mackerel check plugin. Exit 0 OK, 1 WARNING,
// 2 CRITICAL, 3 UNKNOWN; one status line, then `|` and performance data.
import { resolve } from 'node:path';
import type { Fields } from './fields.ts';
import { defaultStateFile, increaseOver, prune, readStateFile, writeStateFile, type StateFile } from './history.ts';

export const OK = 0, WARNING = 1, CRITICAL = 2, UNKNOWN = 3;
const NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
/** How bad each code is when several services are checked at once (monitoring-plugins' max_state). */
const SEVERITY = [0, 2, 3, 1];

export function worst(a: number, b: number): number {
  return SEVERITY[b]! > SEVERITY[a]! ? b : a;
}

export interface RestartLimit {
  count: number;
  windowS: number;
}

export interface Thresholds {
  warnUptime?: number;
  critUptime?: number;
  warnRestarts?: RestartLimit;
  critRestarts?: RestartLimit;
  /** Up, reporting readiness and still not ready after this many seconds: CRITICAL. */
  readyTimeout?: number;
  /** Where restart samples are kept; default: one file per service under /var/tmp/svcheck-UID/. */
  stateFile?: string;
}

export interface ServiceVerdict {
  code: number;
  text: string;
  perf: string[];
}

/** Parses `N/WINDOW`: N restarts in WINDOW seconds (WINDOW may end in s, m, h). */
export function parseRestartLimit(text: string): RestartLimit | undefined {
  const m = /^(\d+)\/(\d+)([smh]?)$/.exec(text);
  if (!m) return undefined;
  const windowS = Number(m[2]) * (m[3] === 'h' ? 3600 : m[3] === 'm' ? 60 : 1);
  return windowS > 0 ? { count: Number(m[1]), windowS } : undefined;
}

function quoteLabel(label: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(label) ? label : `'${label.replace(/'/g, "''")}'`;
}

/** What `svstat` would say, shortly: `up 3612s, ready 3610s, pid 1234`. */
function describe(f: Fields): string {
  if (f.error) return f.error;
  let text = f.up ? `up ${f.updownfor}s` : `down ${f.updownfor}s`;
  if (f.up && f.ready && f.readySinceMs !== null && f.readyfor !== null) text += `, ready ${f.readyfor}s`;
  if (f.up && f.ready === false) text += ', not ready';
  if (f.up) text += `, pid ${f.pid}`;
  if (f.paused) text += ', paused';
  if (f.up && f.wanted === 'down') text += ', want down';
  if (!f.up && f.wanted === 'up') text += ', want up';
  if (f.backoff) text += `, next start in ${f.backoff}s`;
  return text;
}

export type RestartHistory = (f: Fields, windowS: number) => { count: number; covered: number } | undefined;

export function judge(f: Fields, t: Thresholds, history: RestartHistory, prefix: string): ServiceVerdict {
  const perf: string[] = [];
  const label = (name: string) => quoteLabel(prefix ? `${prefix} ${name}` : name);
  const problems: string[] = [];
  let code = OK;
  const raise = (c: number, why: string) => { code = worst(code, c); problems.push(why); };
  if (f.error || f.up === null) {
    return { code: UNKNOWN, text: `${f.service} ${f.error ?? 'status unknown'}`, perf };
  }
  if (!f.up) {
    if (f.wanted === 'up') raise(CRITICAL, f.state === 'backoff' ? 'down in backoff while wanted up' : 'down while wanted up');
  } else {
    if (f.wanted === 'down') raise(WARNING, 'up while wanted down');
    if (f.paused) raise(WARNING, 'paused');
    if (f.ready === false) {
      if (t.readyTimeout !== undefined && (f.updownfor ?? 0) >= t.readyTimeout) raise(CRITICAL, `not ready after ${f.updownfor}s`);
      else raise(WARNING, 'not ready');
    } else if (f.ready === null) raise(UNKNOWN, 'readiness unknown (no supervise/status.json)');
    const up = f.updownfor ?? 0;
    if (t.critUptime !== undefined && up < t.critUptime) raise(CRITICAL, `up ${up}s < ${t.critUptime}s`);
    else if (t.warnUptime !== undefined && up < t.warnUptime) raise(WARNING, `up ${up}s < ${t.warnUptime}s`);
  }
  const range = (v: number | undefined) => (v === undefined ? '' : `${v}:`);
  perf.push(`${label('uptime')}=${f.up ? f.updownfor : 0}s;${range(t.warnUptime)};${range(t.critUptime)};0;`);
  if (f.restarts !== null) perf.push(`${label('restarts')}=${f.restarts}c;;;0;`);
  const limits = [[t.warnRestarts, WARNING], [t.critRestarts, CRITICAL]] as const;
  const windows = [...new Set(limits.flatMap(([l]) => (l ? [l.windowS] : [])))];
  for (const windowS of windows) {
    const h = f.restarts === null ? undefined : history(f, windowS);
    if (!h) {
      raise(UNKNOWN, 'restarts unknown (no supervise/status.json)');
      continue;
    }
    const warnN = t.warnRestarts?.windowS === windowS ? t.warnRestarts.count : undefined;
    const critN = t.critRestarts?.windowS === windowS ? t.critRestarts.count : undefined;
    if (critN !== undefined && h.count > critN) raise(CRITICAL, `${h.count} restarts in ${windowS}s > ${critN}`);
    else if (warnN !== undefined && h.count > warnN) raise(WARNING, `${h.count} restarts in ${windowS}s > ${warnN}`);
    perf.push(`${label(`restarts_${windowS}s`)}=${h.count};${warnN ?? ''};${critN ?? ''};0;`);
  }
  const text = `${f.service} ${describe(f)}${problems.length ? ` (${problems.join(', ')})` : ''}`;
  return { code, text, perf };
}

/** Restart history backed by state files; `commit()` writes the new samples. */
export function fileHistory(t: Thresholds, nowMs: number): { history: RestartHistory; commit: () => string[] } {
  const maxWindowMs = 1000 * Math.max(t.warnRestarts?.windowS ?? 0, t.critRestarts?.windowS ?? 0);
  const files = new Map<string, StateFile>();
  const fresh = new Map<string, [string, number]>();
  const load = (path: string) => {
    let state = files.get(path);
    if (!state) files.set(path, (state = readStateFile(path)));
    return state;
  };
  const history: RestartHistory = (f, windowS) => {
    if (f.restarts === null) return undefined;
    const key = resolve(f.dir);
    const path = t.stateFile ?? defaultStateFile(f.dir);
    fresh.set(key, [path, f.restarts]);
    return increaseOver(load(path).services[key] ?? [], nowMs, windowS * 1000, f.restarts);
  };
  const commit = () => {
    const errors: string[] = [];
    for (const [key, [path, counter]] of fresh) {
      const state = load(path);
      state.services[key] = prune([...(state.services[key] ?? []), [nowMs, counter]], nowMs, maxWindowMs);
    }
    for (const path of new Set([...fresh.values()].map(([p]) => p))) {
      try {
        writeStateFile(path, files.get(path)!);
      } catch (e) {
        errors.push(`unable to write state file ${path}: ${(e as Error).message}`);
      }
    }
    return errors;
  };
  return { history, commit };
}

export function runCheck(all: readonly Fields[], t: Thresholds, nowMs: number): { code: number; line: string } {
  if (all.length === 0) return { code: UNKNOWN, line: 'SV UNKNOWN - no service directory given' };
  const { history, commit } = fileHistory(t, nowMs);
  const verdicts = all.map((f) => judge(f, t, history, all.length > 1 ? f.service : ''));
  let code = OK;
  for (const v of verdicts) code = worst(code, v.code);
  const notes = commit();
  if (notes.length) code = worst(code, UNKNOWN);
  const text = [...verdicts.map((v) => v.text), ...notes].join('; ');
  const perf = verdicts.flatMap((v) => v.perf).join(' ');
  return { code, line: `SV ${NAMES[code]} - ${text}${perf ? ` | ${perf}` : ''}` };
}

/** `svstat --check=ready`: the Kubernetes readiness test. 0 when every service is up and ready. */
export function runReadyCheck(all: readonly Fields[]): { code: number; line: string } {
  const notReady = all.filter((f) => f.ready !== true);
  if (all.length === 0) return { code: 1, line: 'no service directory given' };
  if (notReady.length === 0) return { code: 0, line: `ready: ${all.map((f) => f.service).join(' ')}` };
  return { code: 1, line: `not ready: ${notReady.map((f) => `${f.service} (${describe(f)})`).join('; ')}` };
}
