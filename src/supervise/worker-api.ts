// What the supervise worker (worker.ts) offers its hosts, svscan and `supervise DIR`: its options,
// the events it reports, and the stdio a start of ./run gets. Its parts (child.ts, finish-script.ts)
// use the same types, hence a file of their own; worker.ts re-exports them.

export type StdioEntry = number | 'inherit' | 'ignore';
export type StdioTuple = [StdioEntry, StdioEntry, StdioEntry];
/** What a stdio function returns for one start: the fds to give ./run, and those to close after spawn. */
export interface StdioForStart {
  stdio: StdioTuple;
  close?: number[];
}

export type WorkerEvent =
  | { type: 'start'; pid: number }
  /** The service wrote a newline on its notification-fd. */
  | { type: 'ready'; pid: number }
  /** A crash loop: the next start is delayed by `delayMs`. */
  | { type: 'backoff'; delayMs: number }
  /** Processes of the service's group still alive after ./run exited; signalled like ./run. */
  | { type: 'leftovers'; pgid: number; count: number }
  /** A child recorded in status.json by an earlier supervisor was found alive and taken over. */
  | { type: 'adopt'; pid: number }
  /**
   * `at`: when the exit happened (epoch ms); it is reported after the start hold, which may be later.
   * `asked`: the first exit after an operator's signal (svc -t, -k, -h...), which is no crash.
   */
  | { type: 'exit'; pid: number; code: number | null; signal: NodeJS.Signals | null; at: number; asked?: boolean }
  /** ./run could not be executed; `text` is daemontools' wording ("unable to start DIR/run: ..."). */
  | { type: 'spawn-error'; text: string; error: Error }
  | { type: 'warning'; text: string }
  /** The worker has released everything after `svc -x` (and the service being down). */
  | { type: 'finish' };

export interface WorkerOptions {
  /** The service directory, as the operator named it (used verbatim in messages). */
  dir: string;
  /**
   * stdin, stdout, stderr of ./run: fds or 'inherit' (the default: supervise's own); or a function
   * called before every start, whose `close` fds the worker closes right after the spawn.
   */
  stdio?: StdioTuple | (() => StdioForStart);
  env?: NodeJS.ProcessEnv;
  onEvent?: (event: WorkerEvent) => void;
  /** Also write supervise/status.json (svtools' extended status) on every state change; default true. */
  extendedStatus?: boolean;
  /** Adopt the child named in supervise/status.json if it still runs (same pid and start time). */
  adopt?: boolean;
  /** The pause after every start (daemontools: 1000 ms). */
  startHoldMs?: number;
  /** Takes the flock(2) on the open lock file (default: flock(1) on it); false when held elsewhere. */
  tryLock?: (fd: number) => Promise<boolean>;
}

export interface StopOptions {
  /** KILL the process group this long after TERM (default 10 s). */
  killAfterMs?: number;
  /** Wait this long for the service to exit on its own before TERM (a logger reaching end of input). */
  termAfterMs?: number;
}

/** An exit of ./run as the worker queues it; pid 0 when ./run could not be spawned. */
export interface ChildExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Epoch ms. */
  at: number;
  /** performance.now() at the exit: run times are measured on it, so a wall-clock jump changes none. */
  monotonicAt: number;
}
