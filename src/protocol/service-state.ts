// The one reader of a service directory's state, for every client (svstat's line and monitoring
// forms, svcheck, svwait, svc -U/-D): read-only, in daemontools' order (down, the `ok` probe, the
// 18-byte `supervise/status`), then svtools' `supervise/status.json` when there is one, the
// `notification-fd` file, and the same for `S/log` when it exists. Never talks to supervise except
// for the `ok` probe every svstat does. Errors are daemontools' wording, relative to the directory.
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { djbErrorText, errorCode } from './errors.ts';
import { probeSupervise } from './probe.ts';
import { consistent, readExtendedStatus, type ExtendedStatus } from './extended-status.ts';
import { readStatusBytes } from './service-dir.ts';
import { decodeStatus, type Status } from './status.ts';

export interface ServiceState {
  /** The directory as given. */
  dir: string;
  /** Label used in every format: the directory's base name; `NAME/log` for a log service. */
  service: string;
  /**
   * Why the status is not known, in daemontools' wording (`supervise not running`,
   * `unable to chdir: file does not exist`, ...); null when the status was read.
   */
  error: string | null;
  /** True when a supervise holds `supervise/ok`; false when none does (or never did); null when unknown. */
  supervised: boolean | null;
  /** No `down` file; null when that could not be told. */
  normallyUp: boolean | null;
  /** The decoded status; undefined unless supervise runs and the file is readable. */
  status: Status | undefined;
  /** svtools' extended status, only when present and consistent with `status` (else undefined). */
  ext: ExtendedStatus | undefined;
  /** The directory has a `notification-fd` file: the service reports readiness (s6's convention). */
  readiness: boolean;
  /** `S/log` when it is a directory, else null (always null for a log service itself). */
  log: ServiceState | null;
  /** `down` could not be examined (daemontools' svstat says so instead of the status). */
  downError: string | null;
  /** supervise runs but has written no `status` yet (it is starting). */
  statusAbsent: boolean;
  /** status.json exists but describes another instant than `status` (between the two renames). */
  extPending: boolean;
}

// `throwIfNoEntry: false`: a thrown ENOENT costs ~0.2 ms (its stack trace), which is most of the time
// per service when a scan directory has 100 of them.
function exists(path: string): boolean | { error: unknown } {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (e) {
    return errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR' ? false : { error: e };
  }
}

export interface ReadOptions {
  /** The name used in every format: by default the directory's base name. */
  service?: string;
  /** Also read S/log (default true). */
  withLog?: boolean;
  /** Also read status.json and notification-fd (default true); daemontools' svstat line needs neither. */
  extended?: boolean;
  /** Read the status left by a supervise that no longer runs (svwait: a stale "down" is down). */
  readUnsupervised?: boolean;
}

export function readServiceState(dir: string, options: ReadOptions = {}): ServiceState {
  const { service = basename(resolve(dir)), withLog = true, extended = true, readUnsupervised = false } = options;
  const snap: ServiceState = {
    dir, service, error: null, supervised: null, normallyUp: null, status: undefined, ext: undefined, readiness: false, log: null,
    downError: null, statusAbsent: false, extPending: false,
  };
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st || !st.isDirectory()) {
      snap.error = `unable to chdir: ${st ? 'not a directory' : 'file does not exist'}`;
      snap.supervised = false;
      snap.statusAbsent = true;
      return snap;
    }
  } catch (e) {
    snap.error = `unable to chdir: ${djbErrorText(e)}`;
    if (errorCode(e) === 'ENOTDIR') snap.supervised = false;
    return snap;
  }
  // Plain concatenation: path.join() per file was a tenth of the time per service.
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  const down = exists(`${base}down`);
  if (typeof down === 'object') snap.downError = `unable to stat down: ${djbErrorText(down.error)}`;
  snap.normallyUp = typeof down === 'object' ? null : !down;
  if (extended) snap.readiness = exists(`${base}notification-fd`) === true;
  if (withLog) {
    try {
      if (statSync(`${base}log`, { throwIfNoEntry: false })?.isDirectory()) snap.log = readServiceState(`${base}log`, { service: `${service}/log`, withLog: false, extended });
    } catch { /* no log service */ }
  }
  const probe = probeSupervise(`${base}supervise/ok`);
  if (probe.state === 'running') {
    snap.supervised = true;
  } else {
    snap.supervised = probe.state === 'not-running' || errorCode(probe.error) === 'ENOENT' ? false : null;
    snap.error = probe.state === 'not-running' ? 'supervise not running' : `unable to open supervise/ok: ${djbErrorText(probe.error)}`;
    if (!readUnsupervised || snap.supervised === null) return snap;
  }
  const bytes = readStatusBytes(`${base}supervise/status`);
  if (typeof bytes === 'string') {
    snap.statusAbsent = !existsSync(`${base}supervise/status`);
    if (snap.supervised || !snap.statusAbsent) snap.error = bytes;
    return snap;
  }
  const status = decodeStatus(bytes);
  if (!status) {
    snap.error = 'unable to read supervise/status: bad format';
    return snap;
  }
  snap.status = status;
  if (!extended) return snap;
  const ext = existsSync(`${base}supervise/status.json`) ? readExtendedStatus(`${base}supervise`) : undefined;
  if (ext && consistent(ext, status)) snap.ext = ext;
  else snap.extPending = ext !== undefined;
  return snap;
}

/**
 * Up and ready: true, false, or null when it cannot be told: the service reports readiness
 * (`notification-fd`) but there is no status.json (a daemontools supervise, which does not track
 * it), or status.json still describes the previous instant. Without notification-fd a service is
 * ready as soon as it is up (s6's convention).
 */
export function readiness(state: ServiceState): boolean | null {
  const { status, ext } = state;
  if (!status) return state.supervised === false ? false : null;
  if (status.pid === 0) return false;
  if (!state.readiness) return true;
  if (ext) return ext.readySince !== null;
  return null;
}
