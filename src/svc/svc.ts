// svc -OPTS DIR...: writes command bytes to each DIR/supervise/control, as daemontools 0.76's svc.
import { closeSync } from 'node:fs';
import { djbErrorText, errorCode } from '../protocol/errors.ts';
import { openFifoWriter } from '../protocol/fifo.ts';
import { writeAllSync } from '../protocol/write-all.ts';
import { inDirectory } from '../protocol/chdir.ts';
import { getopt } from '../protocol/getopt.ts';
import type { ClientResult } from '../protocol/client-result.ts';
import { SVWAIT_USAGE, waitFor, type Awaited } from './svwait.ts';
import { EXIT_USAGE } from '../protocol/exit-codes.ts';

/**
 * daemontools' letters, plus svtools' additions: 1 and 2 (USR1/USR2), q (QUIT), + (the signal
 * commands after it go to the whole process group, as daemontools-encore's), U and D (up or down,
 * then wait until ready or finished, with -T milliseconds as the limit).
 */
export const SVC_LETTERS = 'udopchaitkxq12+UD';
/** -U and -D send u and d, then wait as svwait -U / -D. */
const WAITING: Record<string, { byte: string; awaited: Awaited }> = { U: { byte: 'u', awaited: 'ready' }, D: { byte: 'd', awaited: 'finished' } };
export const SVC_USAGE =
  'svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill';
export const SVC_USAGE_EXIT = EXIT_USAGE;
/** daemontools keeps at most this many distinct command bytes. */
const MAX_COMMANDS = 20;

/** The bytes svc sends: each letter once, in the order of its first appearance. */
export function commandBytes(options: readonly string[]): string {
  let data = '';
  for (const letter of options) if (!data.includes(letter) && data.length < MAX_COMMANDS) data += letter;
  return data;
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
    writeAllSync(fd, data);
    return undefined;
  } catch (e) {
    return `error writing commands to ${dir}: ${djbErrorText(e)}`;
  } finally {
    closeSync(fd);
  }
}

/** Sends the commands; with -U or -D, resolves once every DIR is ready or finished (svwait's exit codes). */
export function svc(args: readonly string[]): ClientResult | Promise<ClientResult> {
  const parsed = getopt(args, SVC_LETTERS, 'T');
  if (!parsed.ok) return { out: [], err: [`svc: illegal option -- ${parsed.bad}`, SVC_USAGE], code: SVC_USAGE_EXIT };
  const timeout = parsed.values.T ?? '0';
  if (!/^\d+$/.test(timeout)) return { out: [], err: ['svc: fatal: -T takes a number of milliseconds'], code: SVC_USAGE_EXIT };
  let awaited: Awaited | undefined;
  const letters = parsed.options.map((letter) => {
    const waiting = WAITING[letter];
    if (!waiting) return letter;
    awaited = waiting.awaited;
    return waiting.byte;
  });
  const data = Buffer.from(commandBytes(letters), 'latin1');
  const err: string[] = [];
  for (const dir of parsed.operands) {
    const r = inDirectory(dir, () => sendHere(dir, data));
    const warning = r.entered ? r.value : `unable to chdir to ${dir}: ${djbErrorText(r.error)}`;
    if (warning) err.push(`svc: warning: ${warning}`);
  }
  if (!awaited) return { out: [], err, code: 0 };
  if (parsed.operands.length === 0) return { out: [], err, code: SVWAIT_USAGE };
  return waitFor({ awaited, mode: 'all', timeoutMs: Number(timeout), dirs: parsed.operands }).then((r) => ({ ...r, err: [...err, ...r.err] }));
}
