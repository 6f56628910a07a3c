// svok DIR: exit 0 when a supervise is running on DIR, 100 when not, 111 when DIR cannot be entered.
import { djbErrorText, errorCode } from '../protocol/errors.ts';
import { inDirectory } from '../protocol/chdir.ts';
import { probeSupervise } from '../protocol/probe.ts';
import type { ClientResult } from '../protocol/client-result.ts';
import { EXIT_FAILURE, EXIT_USAGE } from '../protocol/exit-codes.ts';

export const SVOK_RUNNING = 0;
export const SVOK_NOT_RUNNING = EXIT_USAGE;
export const SVOK_CANNOT_ENTER = EXIT_FAILURE;

export function svok(args: readonly string[]): ClientResult {
  const dir = args[0];
  if (dir === undefined) return { out: [], err: ['svok: usage: svok dir'], code: SVOK_NOT_RUNNING };
  const r = inDirectory(dir, () => probeSupervise());
  if (!r.entered) {
    return { out: [], err: [`svok: fatal: unable to chdir to ${dir}: ${djbErrorText(r.error)}`], code: SVOK_CANNOT_ENTER };
  }
  const probe = r.value;
  if (probe.state === 'running') return { out: [], err: [], code: SVOK_RUNNING };
  if (probe.state === 'not-running' || errorCode(probe.error) === 'ENOENT') return { out: [], err: [], code: SVOK_NOT_RUNNING };
  return { out: [], err: [`svok: fatal: unable to open ${dir}/supervise/ok: ${djbErrorText(probe.error)}`], code: SVOK_CANNOT_ENTER };
}
