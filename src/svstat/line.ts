// One svstat line per directory, byte-for-byte what daemontools 0.76's svstat prints.
import { statSync } from 'node:fs';
import { djbErrorText, errorCode } from '../protocol/errors.ts';
import { readStatusBytes } from '../protocol/service-dir.ts';
import { decodeStatus, type Status } from '../protocol/status.ts';
import { inDirectory } from '../protocol/chdir.ts';
import { probeSupervise } from '../protocol/probe.ts';

/**
 * The text after `DIR: ` for a decoded status. Like daemontools, the age is whole seconds of the
 * label against whole seconds of now (fractions ignored), and never negative.
 */
export function formatStatus(status: Status, normallyUp: boolean, nowSeconds: number): string {
  const seconds = Math.max(0, nowSeconds - status.since.seconds);
  let text = status.pid ? `up (pid ${status.pid}) ${seconds} seconds` : `down ${seconds} seconds`;
  if (status.pid && !normallyUp) text += ', normally down';
  if (!status.pid && normallyUp) text += ', normally up';
  if (status.pid && status.paused) text += ', paused';
  if (!status.pid && status.want === 'up') text += ', want up';
  if (status.pid && status.want === 'down') text += ', want down';
  return text;
}

/** The text after `DIR: `, from inside the service directory. */
function describeHere(nowSeconds: number): string {
  let normallyUp = false;
  try {
    // throwIfNoEntry: a thrown ENOENT (its stack trace) would cost ~0.2 ms per directory.
    if (!statSync('down', { throwIfNoEntry: false })) normallyUp = true;
  } catch (e) {
    if (errorCode(e) !== 'ENOENT') return `unable to stat down: ${djbErrorText(e)}`;
    normallyUp = true;
  }
  const probe = probeSupervise();
  if (probe.state === 'not-running') return 'supervise not running';
  if (probe.state === 'error') return `unable to open supervise/ok: ${djbErrorText(probe.error)}`;
  const bytes = readStatusBytes('supervise/status');
  if (typeof bytes === 'string') return bytes;
  const status = decodeStatus(bytes);
  if (!status) return 'unable to read supervise/status: bad format';
  return formatStatus(status, normallyUp, nowSeconds);
}

export function svstatLine(dir: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const r = inDirectory(dir, () => describeHere(nowSeconds));
  return `${dir}: ${r.entered ? r.value : `unable to chdir: ${djbErrorText(r.error)}`}`;
}
