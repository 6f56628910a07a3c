// One svstat line per directory, byte-for-byte what daemontools 0.76's svstat prints.
import { inDirectory } from '../protocol/chdir.ts';
import { djbErrorText } from '../protocol/errors.ts';
import { readServiceState } from '../protocol/service-state.ts';
import type { Status } from '../protocol/status.ts';

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

/** The text after `DIR: `, from inside the service directory (daemontools' svstat chdirs too). */
function describeHere(nowSeconds: number): string {
  const state = readServiceState('.', { withLog: false, extended: false });
  if (state.downError) return state.downError;
  if (!state.status) return state.error ?? 'unable to read supervise/status: bad format';
  return formatStatus(state.status, state.normallyUp !== false, nowSeconds);
}

export function svstatLine(dir: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const r = inDirectory(dir, () => describeHere(nowSeconds));
  return `${dir}: ${r.entered ? r.value : `unable to chdir: ${djbErrorText(r.error)}`}`;
}
