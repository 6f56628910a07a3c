// svwait [-u|-U|-d|-D] [-a|-o] [-t MS] DIR...: wait until services are up, ready, down or finished,
// as s6-svwait does. It watches each supervise/ directory with inotify (fs.watch: the status file is
// replaced by a rename on every change) and re-reads only then, with a slow poll as the safety net.
import { watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { readiness, readServiceState } from '../protocol/service-state.ts';
import { getopt } from '../protocol/getopt.ts';
import type { ClientResult } from '../protocol/client-result.ts';
import { EXIT_FAILURE, EXIT_USAGE } from '../protocol/exit-codes.ts';

export type Awaited = 'up' | 'ready' | 'down' | 'finished';

export const SVWAIT_OK = 0;
export const SVWAIT_TIMEOUT = 99;
export const SVWAIT_USAGE = EXIT_USAGE;
/** A service the wait depends on has no supervise running, so its state can never change. */
export const SVWAIT_NOT_SUPERVISED = 102;
export const SVWAIT_SYSTEM = EXIT_FAILURE;

export const SVWAIT_USAGE_TEXT = 'svwait: usage: svwait [ -u | -U | -d | -D ] [ -a | -o ] [ -t timeout_ms ] dir...';

/** The safety-net poll; inotify normally answers first. */
const FALLBACK_POLL_MS = 500;

export type Condition = { met: boolean; supervised: boolean } | { error: string };

/**
 * Whether DIR is in the awaited state (read with ../protocol/service-state.ts). "ready" under a
 * supervise that tracks no readiness (daemontools', no status.json) is up; while status.json lags
 * behind status, "ready" and "finished" wait for it. "finished" is down with no finish script running.
 */
export function condition(dir: string, awaited: Awaited): Condition {
  const state = readServiceState(dir, { withLog: false, readUnsupervised: true });
  // daemontools' wording with the path: `unable to open DIR/supervise/ok: ...`.
  const failure = () => ({ error: (state.error ?? '').replace(/^(unable to \w+) /, `$1 ${join(dir, '/')}`) });
  if (state.supervised === null) return failure();
  const { supervised, status } = state;
  if (!status) return state.statusAbsent ? { met: false, supervised } : failure();
  const up = status.pid !== 0;
  const lagging = state.extPending && (awaited === 'ready' || awaited === 'finished');
  const met =
    lagging ? false
    : awaited === 'up' ? up
    : awaited === 'ready' ? readiness(state) ?? up
    : awaited === 'down' ? !up
    : !up && !state.ext?.finishPid;
  return { met, supervised };
}

export interface SvwaitRequest {
  awaited: Awaited;
  mode: 'all' | 'any';
  /** Milliseconds; 0 waits for ever. */
  timeoutMs: number;
  dirs: string[];
}

const AWAITED: Record<string, Awaited> = { u: 'up', U: 'ready', d: 'down', D: 'finished' };

/** s6-svwait's options: the last of -u -U -d -D and of -a -o wins; `-t` takes milliseconds. */
export function parseSvwait(args: readonly string[]): SvwaitRequest | undefined {
  const parsed = getopt(args, 'uUdDao', 't');
  if (!parsed.ok || parsed.operands.length === 0) return undefined;
  const timeout = parsed.values.t ?? '0';
  if (!/^\d+$/.test(timeout)) return undefined;
  const request: SvwaitRequest = { awaited: 'up', mode: 'all', timeoutMs: Number(timeout), dirs: parsed.operands };
  for (const letter of parsed.options) {
    if (letter in AWAITED) request.awaited = AWAITED[letter]!;
    else request.mode = letter === 'a' ? 'all' : 'any';
  }
  return request;
}

/** Resolves when the request is met (0), times out (99), cannot be met (102) or fails (111). */
export function waitFor(request: SvwaitRequest): Promise<ClientResult> {
  const dirs = request.dirs.map((d) => ({ name: d, path: resolve(d) }));
  const watchers = new Map<string, FSWatcher>();
  return new Promise((done) => {
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    const finish = (result: ClientResult) => {
      for (const w of watchers.values()) w.close();
      clearTimeout(timer);
      clearInterval(poll);
      done(result);
    };
    const arm = (path: string) => {
      if (watchers.has(path)) return;
      try {
        const w = watch(path, { persistent: true }, check);
        w.on('error', () => { w.close(); watchers.delete(path); });
        watchers.set(path, w);
      } catch {
        // Not there yet (supervise/ appears when supervise starts): the poll covers it.
      }
    };
    function check(): void {
      let met = 0, hopeless = 0;
      for (const d of dirs) {
        arm(d.path);
        arm(join(d.path, 'supervise'));
        const c = condition(d.name, request.awaited);
        if ('error' in c) return finish({ out: [], err: [`svwait: fatal: ${c.error}`], code: SVWAIT_SYSTEM });
        if (c.met) met++;
        else if (!c.supervised) hopeless++;
      }
      if (request.mode === 'all' ? met === dirs.length : met > 0) return finish({ out: [], err: [], code: SVWAIT_OK });
      if (request.mode === 'all' ? hopeless > 0 : hopeless === dirs.length) {
        return finish({ out: [], err: ['svwait: fatal: supervise not running on a service waited for'], code: SVWAIT_NOT_SUPERVISED });
      }
    }
    if (request.timeoutMs > 0) timer = setTimeout(() => finish({ out: [], err: [], code: SVWAIT_TIMEOUT }), request.timeoutMs);
    poll = setInterval(check, FALLBACK_POLL_MS);
    check();
  });
}

export async function svwait(args: readonly string[]): Promise<ClientResult> {
  const request = parseSvwait(args);
  if (!request) return { out: [], err: [SVWAIT_USAGE_TEXT], code: SVWAIT_USAGE };
  return waitFor(request);
}
