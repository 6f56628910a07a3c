// Essential services (doc/service-directory.md, `essential`): in a container, the death of the one
// service that matters should end the container, so that its orchestrator restarts or reports it
// (s6-overlay's behaviour). A service directory holding a file `essential` whose ./run exits while
// wanted up (not by `svc -d`, not after an operator's `svc -t`/`-k`..., which asks for a restart, not
// by svscan's own stop or the directory's removal) makes svscan stop
// every service in order and exit with that exit code, 128 + the signal number when killed.
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { ServiceEvent } from './scanner.ts';

export const ESSENTIAL_FILE = 'essential';

/** The exit code of an adopted ./run, whose status went to its old parent. */
const UNKNOWN_STATUS_CODE = 111;

/** svscan's exit code when `e` is the death of an essential service, else undefined. */
export function essentialExitCode(e: ServiceEvent): number | undefined {
  if (e.which !== 'main' || e.event.type !== 'exit' || !e.wantedUp || e.event.asked) return undefined;
  if (!existsSync(join(e.dir, ESSENTIAL_FILE))) return undefined;
  const { code, signal } = e.event;
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return code ?? UNKNOWN_STATUS_CODE;
}

/**
 * Keeps the dead essential service down. Without a `finish` script, at once, from inside the exit's
 * report: right after it the worker would start ./run again. With one, a tick later: the worker runs
 * ./finish right after the report (and restarts only once it ends), and a stop from inside the report
 * would end the worker before ./finish runs.
 */
export function keepDown(e: ServiceEvent): void {
  if (existsSync(join(e.dir, 'finish'))) process.nextTick(e.stopNow);
  else e.stopNow();
}
