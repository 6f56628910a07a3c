// svc -OPTS DIR...: writes command bytes to each DIR/supervise/control, as daemontools 0.76's svc.
import { closeSync, writeSync } from 'node:fs';
import { djbErrorText, errorCode } from '../protocol/errors.ts';
import { openFifoWriter } from '../protocol/fifo.ts';
import { inDirectory } from './chdir.ts';
import { getopt } from './getopt.ts';
import type { ClientResult } from './result.ts';

/** daemontools' letters, plus 1 and 2 for USR1/USR2 (an svtools addition). */
export const SVC_LETTERS = 'udopchaitkx12';
export const SVC_USAGE =
  'svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill';
export const SVC_USAGE_EXIT = 100;
/** daemontools keeps at most this many distinct command bytes. */
const MAX_COMMANDS = 20;

/** The bytes svc sends: each letter once, in the order of its first appearance. */
export function commandBytes(options: readonly string[]): string {
  let data = '';
  for (const letter of options) if (!data.includes(letter) && data.length < MAX_COMMANDS) data += letter;
  return data;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `data`, waiting while the fifo is full, as daemontools' blocking write does. */
function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length;) {
    try {
      off += writeSync(fd, data, off);
    } catch (e) {
      if (errorCode(e) !== 'EAGAIN') throw e;
      Atomics.wait(sleeper, 0, 0, 5);
    }
  }
}

/** Sends `data` to the supervise of the current directory; a warning text, or undefined. */
function sendHere(dir: string, data: Buffer): string | undefined {
  let fd: number;
  try {
    fd = openFifoWriter('supervise/control');
  } catch (e) {
    return errorCode(e) === 'ENXIO'
      ? `unable to control ${dir}: supervise not running`
      : `unable to control ${dir}: ${djbErrorText(e)}`;
  }
  try {
    writeAll(fd, data);
    return undefined;
  } catch (e) {
    return `error writing commands to ${dir}: ${djbErrorText(e)}`;
  } finally {
    closeSync(fd);
  }
}

export function svc(args: readonly string[]): ClientResult {
  const parsed = getopt(args, SVC_LETTERS);
  if (!parsed.ok) return { out: [], err: [`svc: illegal option -- ${parsed.bad}`, SVC_USAGE], code: SVC_USAGE_EXIT };
  const data = Buffer.from(commandBytes(parsed.options), 'latin1');
  const err: string[] = [];
  for (const dir of parsed.operands) {
    const r = inDirectory(dir, () => sendHere(dir, data));
    const warning = r.entered ? r.value : `unable to chdir to ${dir}: ${djbErrorText(r.error)}`;
    if (warning) err.push(`svc: warning: ${warning}`);
  }
  return { out: [], err, code: 0 };
}
