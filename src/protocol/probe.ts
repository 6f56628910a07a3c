// Is a supervise alive on this service? daemontools' answer: it holds `supervise/ok` open for
// reading, so opening it for writing without blocking succeeds; ENXIO means nobody holds it.
import { closeSync } from 'node:fs';
import { errorCode } from './errors.ts';
import { openFifoWriter } from './fifo.ts';

export type SuperviseProbe =
  | { state: 'running' }
  | { state: 'not-running' }
  /** Could not tell: `supervise/ok` is missing (never supervised), unreadable, ... */
  | { state: 'error'; error: unknown };

/** Probes `okPath` (relative to the cwd in the clients, which chdir like daemontools'). */
export function probeSupervise(okPath = 'supervise/ok'): SuperviseProbe {
  try {
    closeSync(openFifoWriter(okPath));
    return { state: 'running' };
  } catch (error) {
    return errorCode(error) === 'ENXIO' ? { state: 'not-running' } : { state: 'error', error };
  }
}
