// What the built-in loggers' host (host.ts) and their LoggerSet (loggers.ts) say to each other: by
// postMessage to and from the multilog thread (thread.ts), by queueMicrotask on the main thread.
// Plain data only (structured clone): options travel as the words of the options file and are
// parsed in the thread, so that a Zone or a function never has to cross.
import type { LogStreamStats } from '../relaxlogs/stream.ts';

/** The format of a service's options file: `log/relaxlogs` (relaxlogs' options) or `log/multilog` (a script). */
export type LoggerKind = 'relaxlogs' | 'multilog';

export type ToThread =
  /**
   * Start logger `id`: read `fd`, a fresh O_RDONLY|O_NONBLOCK open of `fifo` that becomes the thread's
   * (when `reading`), and write as `words` say (relaxlogs: --log-dir absolute; multilog: directories
   * relative to `base`, S/log).
   */
  | { op: 'open'; id: number; fd: number; fifo: string; kind: LoggerKind; words: string[]; base: string; reading: boolean }
  /** Reading on or off (svc -d/-u, -p/-c): the pipe keeps what is not read. */
  | { op: 'read'; id: number; on: boolean }
  | { op: 'rotate'; id: number }
  | { op: 'reopen'; id: number }
  /**
   * Finish: end the line being written (bounded by --last-line-timeout), write, close, answer 'closed'.
   * `untilEof`: first read on until end of input (svscan's stop, after it let go of the pipe).
   */
  | { op: 'close'; id: number; untilEof: boolean };

export type FromThread =
  /** Logging, into `logDir` (null: svscan's stdout). */
  | { op: 'opened'; id: number; logDir: string | null }
  /** The logger cannot run (bad options, directory, lock, --on-write-error exit): it is gone. */
  | { op: 'fatal'; id: number; text: string }
  | { op: 'closed'; id: number }
  | { op: 'warn'; id: number; text: string }
  /** Loggers whose figures changed since the last report. */
  | { op: 'stats'; list: { id: number; stats: LogStreamStats }[] };
