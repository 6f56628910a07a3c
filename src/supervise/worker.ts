// The supervise worker: daemontools 0.76's supervise as a state machine, with no CLI in it, so that
// `supervise DIR` runs one and svscan hosts many in one process. It owns SERVICE/supervise/ (lock,
// control and ok fifos, status) in daemontools' on-disk format.
//
// For svscan it can also: take each start's stdio from a function (a fresh open of the log fifo per
// logger start), write svtools' supervise/status.json, adopt a child that a killed svscan left running
// (identified by pid plus start time), and stop a service with a deadline (TERM, CONT, then KILL to
// its process group) before releasing the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { djbErrorText } from '../protocol/errors.ts';
import { readExtendedStatus, writeExtendedStatus, EXTENDED_STATUS_VERSION, type ExtendedStatus, type LastExit } from '../protocol/extended-status.ts';
import { holdFifoOpen, makeFifo, openFifoReader, type FifoReader } from '../protocol/fifo.ts';
import { tryFlock } from '../protocol/flock.ts';
import { servicePaths, writeStatusFile, type ServicePaths } from '../protocol/service-dir.ts';
import { decodeStatus, type Status, type Want } from '../protocol/status.ts';
import { fromMilliseconds, now, toMilliseconds, type Timestamp } from '../protocol/tai64n.ts';
import { isSameProcess, liveStartTicks } from './proc-stat.ts';

/** After every start supervise takes no action for this long: what limits a crash loop to 1 restart/s. */
export const START_HOLD_MS = 1000;

/** The command bytes `svc` writes, and the signal each forwards to ./run. */
const SIGNAL_COMMANDS: Record<string, NodeJS.Signals> = {
  a: 'SIGALRM', h: 'SIGHUP', i: 'SIGINT', k: 'SIGKILL', t: 'SIGTERM', '1': 'SIGUSR1', '2': 'SIGUSR2',
};

/** How often an adopted process (not our child: no exit event) is checked in /proc. */
export const ADOPTED_POLL_MS = 200;

export type StdioEntry = number | 'inherit' | 'ignore';
export type StdioTuple = [StdioEntry, StdioEntry, StdioEntry];
/** What a stdio function returns for one start: the fds to give ./run, and those to close after spawn. */
export interface StdioForStart {
  stdio: StdioTuple;
  close?: number[];
}

export type WorkerEvent =
  | { type: 'start'; pid: number }
  /** A child recorded in status.json by an earlier supervisor was found alive and taken over. */
  | { type: 'adopt'; pid: number }
  /** `at`: when the exit happened (epoch ms); it is reported after the start hold, which may be later. */
  | { type: 'exit'; pid: number; code: number | null; signal: NodeJS.Signals | null; at: number }
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
  /** Also write supervise/status.json (svtools' extended status) on every state change. */
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

/** A failure to take charge of a service directory; `message` is daemontools' wording, exit 111. */
export class SuperviseStartError extends Error {}

type QueuedEvent =
  | { kind: 'exit'; pid: number; code: number | null; signal: NodeJS.Signals | null; at: number }
  | { kind: 'command'; byte: string };

export class SuperviseWorker {
  readonly dir: string;
  readonly paths: ServicePaths;
  private readonly options: WorkerOptions;

  private lockFd = -1;
  private okFd = -1;
  private control: FifoReader | undefined;

  private child: ChildProcess | undefined;
  private pid = 0;
  /** Start ticks of `pid` (field 22 of /proc/PID/stat), null when unknown. */
  private startTicks: number | null = null;
  /** Set while `pid` is an adopted process rather than our own child. */
  private adoptedTimer: NodeJS.Timeout | undefined;
  private adopted = false;
  private starts = 0;
  private lastExit: LastExit | null = null;
  private stopTimers: NodeJS.Timeout[] = [];
  private readonly finishWaiters: (() => void)[] = [];
  private since: Timestamp = now();
  /** daemontools' flagwant/flagwantup: 'once' after `svc -o`. */
  private want: Want = 'up';
  private paused = false;
  private exitRequested = false;
  private finished = false;
  /** stop() was called: nothing starts ./run again. */
  private stopping = false;

  private readonly queue: QueuedEvent[] = [];
  private holdTimer: NodeJS.Timeout | undefined;

  private constructor(options: WorkerOptions) {
    this.options = options;
    this.dir = options.dir;
    this.paths = servicePaths(options.dir);
  }

  /**
   * Takes charge of `dir` as daemontools' supervise does at start-up, and starts ./run unless a
   * `down` file says not to. Rejects with SuperviseStartError (lock held, unusable directory).
   */
  static async start(options: WorkerOptions): Promise<SuperviseWorker> {
    const worker = new SuperviseWorker(options);
    try {
      await worker.takeCharge();
    } catch (err) {
      worker.release();
      throw err;
    }
    if (!worker.adopted && worker.want !== 'down') worker.startRun();
    return worker;
  }

  /** Pid of the running ./run (ours or adopted), 0 when down. */
  get runningPid(): number {
    return this.pid;
  }

  get isAdopted(): boolean {
    return this.adopted;
  }

  /** The content of supervise/status.json as this worker would write it now. */
  get extendedStatus(): ExtendedStatus {
    return {
      version: EXTENDED_STATUS_VERSION,
      pid: this.pid,
      pgid: this.pid,
      pidStartTicks: this.pid ? this.startTicks : null,
      since: toMilliseconds(this.since),
      readySince: null,
      restarts: Math.max(0, this.starts - 1),
      lastExit: this.lastExit,
      backoffUntil: null,
      adopted: this.adopted,
      leftovers: 0,
    };
  }

  /** The state as written to `supervise/status`. */
  get status(): Status {
    return { since: this.since, pid: this.pid, paused: this.paused, want: this.want };
  }

  get isFinished(): boolean {
    return this.finished;
  }

  private fail(what: string, err: unknown): never {
    throw new SuperviseStartError(`${what}: ${djbErrorText(err)}`);
  }

  private async takeCharge(): Promise<void> {
    const { dir, paths } = this;
    try {
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (err) {
      this.fail(`unable to chdir to ${dir}`, err);
    }
    try {
      statSync(paths.down);
      this.want = 'down';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.fail(`unable to stat ${dir}/down`, err);
    }
    try {
      mkdirSync(paths.superviseDir, { mode: 0o700 });
    } catch {
      // As daemontools: an existing directory is fine, any other problem shows up at the lock.
    }
    try {
      this.lockFd = openSync(paths.lock, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    } catch (err) {
      this.fail(`unable to acquire ${dir}/supervise/lock`, err);
    }
    if (!(await (this.options.tryLock ?? tryFlock)(this.lockFd))) {
      this.fail(`unable to acquire ${dir}/supervise/lock`, { code: 'EAGAIN' });
    }
    // Before the first status write, which would forget the child a killed supervisor left running.
    if (this.options.adopt) this.tryAdopt();
    try {
      await makeFifo(paths.control);
      this.control = openFifoReader(paths.control);
    } catch (err) {
      this.fail(`unable to read ${dir}/supervise/control`, err);
    }
    this.control.socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk.toString('latin1')) this.queue.push({ kind: 'command', byte });
      this.drain();
    });
    this.control.socket.on('error', (err) => this.warn(`unable to read ${dir}/supervise/control: ${djbErrorText(err)}`));
    // When ./run starts right after, its start writes the status: one write instead of two.
    if (this.adopted || this.want === 'down') this.announce();
    try {
      await makeFifo(paths.ok);
      this.okFd = holdFifoOpen(paths.ok);
    } catch (err) {
      this.fail(`unable to read ${dir}/supervise/ok`, err);
    }
  }

  /**
   * Takes over the child recorded in status.json when it is still the same process (pid plus start
   * ticks): its want and paused state come from the daemontools status file beside it.
   */
  private tryAdopt(): void {
    const ext = readExtendedStatus(this.paths.superviseDir);
    if (!ext || !ext.pid || !isSameProcess(ext.pid, ext.pidStartTicks)) return;
    let previous: Status | undefined;
    try {
      previous = decodeStatus(readFileSync(this.paths.status));
    } catch {
      previous = undefined;
    }
    this.adopted = true;
    this.pid = ext.pid;
    this.startTicks = ext.pidStartTicks;
    this.since = fromMilliseconds(ext.since);
    this.lastExit = ext.lastExit;
    if (previous && previous.pid === ext.pid) {
      this.want = previous.want;
      this.paused = previous.paused;
    }
    const pid = ext.pid;
    const startTicks = ext.pidStartTicks;
    this.adoptedTimer = setInterval(() => {
      if (isSameProcess(pid, startTicks)) return;
      this.stopAdoptedPoll();
      // Not our child: its exit status went to its new parent. Code and signal are unknown.
      this.queue.push({ kind: 'exit', pid, code: null, signal: null, at: Date.now() });
      this.drain();
    }, ADOPTED_POLL_MS);
    this.emit({ type: 'adopt', pid });
  }

  private stopAdoptedPoll(): void {
    if (this.adoptedTimer) clearInterval(this.adoptedTimer);
    this.adoptedTimer = undefined;
  }

  private emit(event: WorkerEvent): void {
    this.options.onEvent?.(event);
  }

  private warn(text: string): void {
    this.emit({ type: 'warning', text });
  }

  /** Writes the status file; a failure is reported and supervision goes on, as in daemontools. */
  private announce(): void {
    try {
      writeStatusFile(this.paths, this.status);
      if (this.options.extendedStatus) writeExtendedStatus(this.paths.superviseDir, this.extendedStatus);
    } catch (err) {
      const { step, target } = err as { step?: string; target?: string };
      const verb = step === 'rename' ? 'unable to rename' : 'unable to write';
      this.warn(`${verb} ${target ?? this.paths.statusNew}: ${djbErrorText(err)}`);
    }
  }

  private pidChange(pid: number): void {
    this.pid = pid;
    this.since = now();
  }

  private startRun(): void {
    let stdio: StdioTuple = ['inherit', 'inherit', 'inherit'];
    let toClose: number[] = [];
    const option = this.options.stdio;
    if (typeof option === 'function') {
      try {
        ({ stdio, close: toClose = [] } = option());
      } catch (err) {
        this.spawnFailed(err as Error);
        return;
      }
    } else if (option) {
      stdio = option;
    }
    let child: ChildProcess;
    try {
      // detached: its own session and process group, so a whole service can be signalled at once
      // and a terminal's ^C or svscan's death never reaches it.
      child = spawn('./run', [], { cwd: this.dir, stdio, env: this.options.env ?? process.env, detached: true });
    } catch (err) {
      this.spawnFailed(err as Error);
      return;
    } finally {
      // The child has its own copies now (or there is no child).
      for (const fd of toClose) {
        try { closeSync(fd); } catch { /* already closed */ }
      }
    }
    if (child.pid === undefined) {
      child.once('error', (err) => this.spawnFailed(err));
      return;
    }
    const pid = child.pid;
    this.child = child;
    // Without a listener a failed kill (EPERM after a setuid exec, say) would crash the whole process.
    child.on('error', (err) => this.warn(`unable to signal ${this.dir}/run (pid ${pid}): ${djbErrorText(err)}`));
    child.once('exit', (code, signal) => {
      this.queue.push({ kind: 'exit', pid, code, signal, at: Date.now() });
      this.drain();
    });
    this.paused = false;
    this.adopted = false;
    this.starts++;
    this.pidChange(pid);
    this.startTicks = liveStartTicks(pid) ?? null;
    this.announce();
    this.emit({ type: 'start', pid });
    this.hold();
  }

  /** Like daemontools' child dying with 111 after a failed execve: retried after the hold. */
  private spawnFailed(error: Error): void {
    this.emit({ type: 'spawn-error', text: `unable to start ${this.dir}/run: ${djbErrorText(error)}`, error });
    this.paused = false;
    this.pidChange(0);
    this.announce();
    this.queue.push({ kind: 'exit', pid: 0, code: 111, signal: null, at: Date.now() });
    this.hold();
  }

  private hold(): void {
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.drain();
    }, this.options.startHoldMs ?? START_HOLD_MS);
  }

  /** Handles queued events in order, child exits first, pausing whenever a start begins a hold. */
  private drain(): void {
    while (!this.holdTimer && !this.finished) {
      const exitIndex = this.queue.findIndex((e) => e.kind === 'exit');
      const [event] = this.queue.splice(exitIndex >= 0 ? exitIndex : 0, 1);
      if (!event) break;
      if (event.kind === 'exit') this.onExit(event);
      else this.onCommand(event.byte);
    }
    if (this.exitRequested && this.pid === 0 && !this.holdTimer) this.finish();
  }

  private onExit(event: Extract<QueuedEvent, { kind: 'exit' }>): void {
    this.child = undefined;
    if (event.pid) this.lastExit = { code: event.code, signal: event.signal ? event.signal.replace(/^SIG/, '') : null, at: event.at };
    this.stopAdoptedPoll();
    this.adopted = false;
    this.startTicks = null;
    this.pidChange(0);
    this.announce();
    if (event.pid) this.emit({ type: 'exit', pid: event.pid, code: event.code, signal: event.signal, at: event.at });
    if (this.exitRequested) return;
    if (this.want === 'up') this.startRun();
  }

  private signal(sig: NodeJS.Signals): void {
    // ChildProcess.kill refuses once the child is reaped, so a recycled pid is never signalled.
    if (this.child) {
      this.child.kill(sig);
      return;
    }
    // An adopted process: make sure the pid still names it right before each signal.
    if (this.adopted && this.pid && isSameProcess(this.pid, this.startTicks)) {
      try {
        process.kill(this.pid, sig);
      } catch (err) {
        this.warn(`unable to signal ${this.dir}/run (pid ${this.pid}): ${djbErrorText(err)}`);
      }
    }
  }

  /** Signals the service's whole process group (its own session), falling back to the pid alone. */
  private signalGroup(sig: NodeJS.Signals): void {
    const pid = this.pid;
    if (!pid) return;
    if (this.child ? this.child.exitCode !== null || this.child.signalCode !== null : !isSameProcess(pid, this.startTicks)) return;
    try {
      process.kill(-pid, sig);
    } catch {
      this.signal(sig);
    }
  }

  /**
   * Brings the service down and releases the directory, for svscan's shutdown and for a removed
   * service directory: want down, TERM and CONT to its process group (after `termAfterMs` of waiting
   * for it to exit by itself, if given), KILL to the group after `killAfterMs`; resolves once the
   * service is down and the lock, fifos and status are released (as after `svc -dx`).
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.finished) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.finishWaiters.push(resolve));
    if (this.stopping) return done;
    this.stopping = true;
    const killAfterMs = options.killAfterMs ?? 10_000;
    const termAfterMs = options.termAfterMs ?? 0;
    this.want = 'down';
    this.exitRequested = true;
    this.announce();
    const term = () => {
      if (!this.pid) return;
      this.signalGroup('SIGTERM');
      this.signalGroup('SIGCONT');
      this.paused = false;
      this.stopTimers.push(setTimeout(() => this.signalGroup('SIGKILL'), killAfterMs));
    };
    if (termAfterMs > 0) this.stopTimers.push(setTimeout(term, termAfterMs));
    else term();
    // The start hold delays commands, not a stop: look at queued exits now.
    if (this.holdTimer) {
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
    }
    this.drain();
    return done;
  }

  private onCommand(byte: string): void {
    switch (byte) {
      case 'd':
        this.want = 'down';
        if (this.pid) {
          this.signal('SIGTERM');
          this.signal('SIGCONT');
          this.paused = false;
        }
        this.announce();
        break;
      case 'u':
        if (this.stopping) break;
        this.want = 'up';
        this.announce();
        if (!this.pid) this.startRun();
        break;
      case 'o':
        if (this.stopping) break;
        this.want = 'once';
        this.announce();
        if (!this.pid) this.startRun();
        break;
      case 'p':
        this.paused = true;
        this.announce();
        if (this.pid) this.signal('SIGSTOP');
        break;
      case 'c':
        this.paused = false;
        this.announce();
        if (this.pid) this.signal('SIGCONT');
        break;
      case 'x':
        this.exitRequested = true;
        this.announce();
        break;
      default: {
        const sig = SIGNAL_COMMANDS[byte];
        if (sig && this.pid) this.signal(sig);
        // Any other byte is ignored, as daemontools does.
      }
    }
  }

  private finish(): void {
    this.finished = true;
    this.release();
    this.emit({ type: 'finish' });
    for (const resolve of this.finishWaiters.splice(0)) resolve();
  }

  /** Closes the fifos and the lock. The child, if any, is left running: supervise never kills it. */
  private release(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    for (const timer of this.stopTimers.splice(0)) clearTimeout(timer);
    this.stopAdoptedPoll();
    this.control?.close();
    this.control = undefined;
    for (const fd of [this.okFd, this.lockFd]) if (fd >= 0) closeSync(fd);
    this.okFd = this.lockFd = -1;
  }
}
