// The supervise worker: daemontools 0.76's supervise as a state machine, with no CLI in it, so that
// `supervise DIR` runs one and svscan hosts many in one process. It owns SERVICE/supervise/ (lock,
// control and ok fifos, status) in daemontools' on-disk format.
//
// For svscan it can also: take each start's stdio from a function (a fresh open of the log fifo per
// logger start), adopt a child that a killed svscan left running (identified by pid plus start time),
// and stop a service with a deadline (TERM, CONT, then KILL to its process group) before releasing
// the directory.
//
// Beyond daemontools, opted into by optional files in the service directory (service-files.ts):
// a `finish` script, a `down-signal` and a `timeout-kill` escalating to KILL of the process group
// (leftovers of the group swept too), readiness via `notification-fd`, and restart backoff for crash
// loops (backoff.ts). All of it is recorded in supervise/status.json beside the unchanged `status`.
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { djbErrorText } from '../protocol/errors.ts';
import { readExtendedStatus, EXTENDED_STATUS_VERSION, type ExtendedStatus, type LastExit } from '../protocol/extended-status.ts';
import { servicePaths, type ServicePaths } from '../protocol/service-dir.ts';
import { decodeStatus, type Status, type Want } from '../protocol/status.ts';
import { fromMilliseconds, now, toMilliseconds, type Timestamp } from '../protocol/tai64n.ts';
import { backoffDelay, nextQuickDeaths } from './backoff.ts';
import { ServiceCharge } from './charge.ts';
import { watchExit } from './exit-watch.ts';
import { isSameProcess, liveStartTicks, processGroupMembers } from './proc-stat.ts';
import { readServiceFiles, type ServiceFiles } from './service-files.ts';

/** After every start supervise takes no action for this long: what limits a crash loop to 1 restart/s. */
export const START_HOLD_MS = 1000;

/** The command bytes `svc` writes, and the signal each forwards to ./run. */
const SIGNAL_COMMANDS: Record<string, NodeJS.Signals> = {
  a: 'SIGALRM', h: 'SIGHUP', i: 'SIGINT', k: 'SIGKILL', t: 'SIGTERM', q: 'SIGQUIT', '1': 'SIGUSR1', '2': 'SIGUSR2',
};

/** The command byte after which the signal commands of the same write go to the whole process group. */
const GROUP_PREFIX = '+';

/** s6's convention: a finish script exiting 125 means "do not restart" (the service is wanted down). */
const FINISH_STOP_CODE = 125;

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

export { SuperviseStartError } from './charge.ts';

type QueuedEvent =
  | { kind: 'exit'; pid: number; code: number | null; signal: NodeJS.Signals | null; at: number }
  /** `group`: the write it came in had the `+` prefix before it. */
  | { kind: 'command'; byte: string; group: boolean };

export class SuperviseWorker {
  readonly dir: string;
  readonly paths: ServicePaths;
  private readonly options: WorkerOptions;

  /** SERVICE/supervise/ held (charge.ts): set as soon as the lock is, before start() resolves. */
  private charge: ServiceCharge | undefined;

  private child: ChildProcess | undefined;
  private pid = 0;
  /** Start ticks of `pid` (field 22 of /proc/PID/stat), null when unknown. */
  private startTicks: number | null = null;
  /** Set while `pid` is an adopted process rather than our own child. */
  private endAdoptedWatch: (() => void) | undefined;
  private adopted = false;
  private starts = 0;
  private lastExit: LastExit | null = null;
  private stopTimers: NodeJS.Timeout[] = [];
  private readonly finishWaiters: (() => void)[] = [];
  private since: Timestamp = now();
  /** Epoch ms when the service became ready, null while not (or not up). */
  private readySince: number | null = null;
  private notification: Readable | undefined;
  /** Consecutive exits soon after their start (backoff.ts). */
  private quickDeaths = 0;
  /**
   * The pid an operator's command (`svc -t -k -d`...) has signalled: its exit was asked for, so it
   * is no quick death, whenever it comes (backoff.ts).
   */
  private operatorSignalledPid = 0;
  private backoffUntil: number | null = null;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** Group members found alive after the last exit. */
  private leftovers = 0;
  private finishChild: ChildProcess | undefined;
  /** timeout-kill: the KILL due after `svc -d`. */
  private killTimer: NodeJS.Timeout | undefined;
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
      await ServiceCharge.take({
        dir: options.dir,
        tryLock: options.tryLock,
        onLocked: (charge) => {
          worker.charge = charge;
          if (charge.downFile) worker.want = 'down';
          // Before the first status write, which would forget the child a killed supervisor left running.
          if (options.adopt) worker.tryAdopt();
        },
        // When ./run starts right after, its start writes the status: one write instead of two.
        firstStatus: () => (worker.adopted || worker.want === 'down' ? worker.statusToWrite() : undefined),
        onCommandBytes: (bytes) => worker.onCommandBytes(bytes),
        onWarning: (text) => worker.warn(text),
      });
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
      readySince: this.pid ? this.readySince : null,
      restarts: Math.max(0, this.starts - 1),
      lastExit: this.lastExit,
      backoffUntil: this.backoffUntil,
      adopted: this.adopted,
      leftovers: this.leftovers,
      finishPid: this.finishChild?.pid ?? 0,
    };
  }

  /** The state as written to `supervise/status`. */
  get status(): Status {
    return { since: this.since, pid: this.pid, paused: this.paused, want: this.want };
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Queues the command bytes of one write to `control`; a `+` sends the signals after it to the group. */
  private onCommandBytes(bytes: string): void {
    let group = false;
    for (const byte of bytes) {
      if (byte === GROUP_PREFIX) group = true;
      else this.queue.push({ kind: 'command', byte, group });
    }
    this.drain();
  }

  /**
   * Takes over the child recorded in status.json when it is still the same process (pid plus start
   * ticks): its want and paused state come from the daemontools status file beside it.
   */
  private tryAdopt(): void {
    const ext = readExtendedStatus(this.paths.superviseDir);
    if (!ext || !ext.pid || ext.pidStartTicks === null) return;
    const pid = ext.pid;
    const stopWatch = watchExit(pid, ext.pidStartTicks, () => {
      // Not our child: its exit status went to its new parent. Code and signal are unknown.
      this.queue.push({ kind: 'exit', pid, code: null, signal: null, at: Date.now() });
      this.drain();
    });
    if (!stopWatch) return;
    this.endAdoptedWatch = stopWatch;
    let previous: Status | undefined;
    try {
      previous = decodeStatus(readFileSync(this.paths.status));
    } catch {
      previous = undefined;
    }
    this.adopted = true;
    this.pid = pid;
    this.startTicks = ext.pidStartTicks;
    this.since = fromMilliseconds(ext.since);
    this.readySince = ext.readySince;
    this.lastExit = ext.lastExit;
    if (previous && previous.pid === pid) {
      this.want = previous.want;
      this.paused = previous.paused;
    }
    this.emit({ type: 'adopt', pid });
  }

  private stopAdoptedWatch(): void {
    this.endAdoptedWatch?.();
    this.endAdoptedWatch = undefined;
  }

  private emit(event: WorkerEvent): void {
    this.options.onEvent?.(event);
  }

  private warn(text: string): void {
    this.emit({ type: 'warning', text });
  }

  /** status, and status.json unless the options turned it off. */
  private statusToWrite(): [Status, ExtendedStatus?] {
    return [this.status, this.options.extendedStatus ?? true ? this.extendedStatus : undefined];
  }

  /** Writes the status files; a failure is reported and supervision goes on, as in daemontools. */
  private announce(): void {
    this.charge?.writeStatus(...this.statusToWrite());
  }

  private pidChange(pid: number): void {
    this.pid = pid;
    this.since = now();
  }

  /** The stdio for one start of ./run or ./finish, and the fds to close once it is spawned. */
  private resolveStdio(): StdioForStart {
    const option = this.options.stdio;
    if (typeof option === 'function') return option();
    return { stdio: option ?? ['inherit', 'inherit', 'inherit'] };
  }

  /**
   * Spawns `command` in the service directory, in its own session and process group (so a whole
   * service can be signalled at once, and a terminal's ^C or svscan's death never reaches it).
   * `notificationFd` adds a pipe at that fd in the child.
   */
  private spawnInService(command: string, args: string[], notificationFd?: number): ChildProcess {
    const { stdio, close: toClose = [] } = this.resolveStdio();
    const full: (StdioEntry | IOType)[] = [...stdio];
    if (notificationFd !== undefined) {
      while (full.length < notificationFd) full.push('ignore');
      full[notificationFd] = 'pipe';
    }
    try {
      return spawn(command, args, { cwd: this.dir, stdio: full, env: this.options.env ?? process.env, detached: true });
    } finally {
      // The child has its own copies now (or there is no child).
      for (const fd of toClose) {
        try { closeSync(fd); } catch { /* already closed */ }
      }
    }
  }

  /** Starts ./run; `files` when the caller has just read them (an exit followed by a restart). */
  private startRun(files: ServiceFiles = this.readFiles()): void {
    let child: ChildProcess;
    try {
      child = this.spawnInService('./run', [], files.notificationFd);
    } catch (err) {
      this.spawnFailed(err as Error);
      return;
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
    // Without notification-fd a service is ready as soon as it is up (s6's convention).
    this.readySince = files.notificationFd === undefined ? toMilliseconds(this.since) : null;
    if (files.notificationFd !== undefined) this.awaitReadiness(child.stdio[files.notificationFd] as Readable, pid);
    this.announce();
    this.emit({ type: 'start', pid });
    this.hold();
  }

  private readFiles(): ServiceFiles {
    return readServiceFiles(this.dir, (text) => this.warn(text));
  }

  /** Ready at the first newline the service writes on its notification-fd (s6's protocol). */
  private awaitReadiness(stream: Readable, pid: number): void {
    this.notification = stream;
    stream.on('error', () => { /* the service closed it: simply never ready */ });
    stream.on('data', (chunk: Buffer) => {
      if (!chunk.includes(0x0a) || this.pid !== pid) return;
      this.readySince = Date.now();
      this.closeNotification();
      this.announce();
      this.emit({ type: 'ready', pid });
    });
  }

  private closeNotification(): void {
    this.notification?.destroy();
    this.notification = undefined;
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
      else this.onCommand(event.byte, event.group);
    }
    if (this.exitRequested && this.pid === 0 && !this.holdTimer && !this.finishChild) this.finish();
  }

  private onExit(event: Extract<QueuedEvent, { kind: 'exit' }>): void {
    const ranForMs = event.at - toMilliseconds(this.since);
    this.child = undefined;
    this.closeNotification();
    clearTimeout(this.killTimer);
    const files = this.readFiles();
    if (event.pid) {
      this.lastExit = { code: event.code, signal: event.signal ? event.signal.replace(/^SIG/, '') : null, at: event.at };
      // An exit the operator asked for neither counts nor resets: restarts by hand are no crash loop.
      if (event.pid !== this.operatorSignalledPid) this.quickDeaths = nextQuickDeaths(files.backoff, this.quickDeaths, ranForMs);
      this.operatorSignalledPid = 0;
      // Only a service that opted into escalation (timeout-kill) has its leftovers hunted down:
      // daemontools leaves a service's other processes alone.
      this.leftovers = files.timeoutKillMs > 0 ? this.sweepGroup(event.pid, files) : 0;
    }
    this.stopAdoptedWatch();
    this.adopted = false;
    this.startTicks = null;
    this.readySince = null;
    this.pidChange(0);
    if (event.pid) this.emit({ type: 'exit', pid: event.pid, code: event.code, signal: event.signal, at: event.at });
    // runFinish announces once the finish pid is known: nobody may see "down and finished" before it.
    if (event.pid && files.finish) {
      this.runFinish(event, files);
    } else if (!this.afterDown(files)) {
      // Staying down: write it. (A restart at once or a backoff writes the status itself: one write
      // instead of two on the path a crashing or killed service takes.)
      this.announce();
    }
  }

  /**
   * Signals what is left of process group `pgid` after its leader exited as ./run itself would have
   * been (down-signal, CONT, KILL after timeout-kill); returns how many processes were left.
   */
  private sweepGroup(pgid: number, files: ServiceFiles): number {
    const count = processGroupMembers(pgid).length;
    if (count === 0) return 0;
    this.emit({ type: 'leftovers', pgid, count });
    const kill = (sig: NodeJS.Signals) => {
      // The group outlives its leader only through its members, so the id cannot name anyone else.
      try { process.kill(-pgid, sig); } catch { /* all gone */ }
    };
    kill(files.downSignal);
    kill('SIGCONT');
    const timer = setTimeout(() => {
      this.stopTimers.splice(this.stopTimers.indexOf(timer), 1);
      kill('SIGKILL');
    }, files.timeoutKillMs);
    this.stopTimers.push(timer);
    return count;
  }

  /** Runs ./finish with s6's arguments (exit code or 256, signal number, directory, pgid), time-limited. */
  private runFinish(event: Extract<QueuedEvent, { kind: 'exit' }>, files: ServiceFiles): void {
    const signalNumber = event.signal ? (osConstants.signals as Record<string, number>)[event.signal] ?? 0 : 0;
    const args = [String(event.code ?? 256), String(signalNumber), this.dir, String(event.pid)];
    let child: ChildProcess;
    try {
      child = this.spawnInService('./finish', args);
    } catch (err) {
      this.warn(`unable to start ${this.dir}/finish: ${djbErrorText(err)}`);
      this.announce();
      this.afterDown(files);
      return;
    }
    if (child.pid === undefined) {
      this.announce();
      child.once('error', (err) => {
        this.warn(`unable to start ${this.dir}/finish: ${djbErrorText(err)}`);
        this.afterDown(files);
        this.drain();
      });
      return;
    }
    const pid = child.pid;
    this.finishChild = child;
    child.on('error', () => { /* a failed kill of an exiting finish: nothing to do */ });
    const limit = files.timeoutFinishMs > 0
      ? setTimeout(() => {
        this.warn(`${this.dir}/finish still running after ${files.timeoutFinishMs} ms (timeout-finish): killing it`);
        try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      }, files.timeoutFinishMs)
      : undefined;
    child.once('exit', (code) => {
      clearTimeout(limit);
      this.finishChild = undefined;
      if (code === FINISH_STOP_CODE && this.want !== 'down') {
        this.want = 'down';
        this.warn(`${this.dir}/finish exited ${FINISH_STOP_CODE}: not restarting it (svc -u starts it again)`);
      }
      this.announce();
      this.afterDown(files);
      this.drain();
    });
    this.announce();
  }

  /**
   * After ./run (and ./finish) ended: restart if wanted, now or after the backoff delay. True when
   * it has written the status (a start now, or a backoff), false when the caller should.
   */
  private afterDown(files: ServiceFiles): boolean {
    if (this.exitRequested || this.stopping || this.want !== 'up' || this.pid) return false;
    const delay = backoffDelay(files.backoff, this.quickDeaths);
    if (delay === 0) {
      this.startRun(files);
      return true;
    }
    this.backoffUntil = Date.now() + delay;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.backoffUntil = null;
      if (this.want === 'up' && !this.pid && !this.exitRequested && !this.stopping) this.startRun();
      else this.announce();
      this.drain();
    }, delay);
    this.announce();
    this.emit({ type: 'backoff', delayMs: delay });
    return true;
  }

  private cancelBackoff(): void {
    if (!this.backoffTimer) return;
    clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    this.backoffUntil = null;
  }

  /** `svc -u` / `-o`: start now (cutting a backoff short), unless ./finish still runs: then after it. */
  private startWanted(): void {
    this.cancelBackoff();
    this.announce();
    if (!this.pid && !this.finishChild) this.startRun();
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
    this.cancelBackoff();
    const downSignal = this.readFiles().downSignal;
    const term = () => {
      if (!this.pid) return;
      this.signalGroup(downSignal);
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

  private onCommand(byte: string, group: boolean): void {
    const send = (sig: NodeJS.Signals) => {
      // Stop and continue end nothing; every other signal may, and then the exit was asked for.
      if (sig !== 'SIGSTOP' && sig !== 'SIGCONT') this.operatorSignalledPid = this.pid;
      if (group) this.signalGroup(sig);
      else this.signal(sig);
    };
    switch (byte) {
      case 'd':
        this.want = 'down';
        this.cancelBackoff();
        if (this.pid) {
          const files = this.readFiles();
          send(files.downSignal);
          send('SIGCONT');
          this.paused = false;
          if (files.timeoutKillMs > 0) this.armKill(files.timeoutKillMs);
        }
        this.announce();
        break;
      case 'u':
        if (this.stopping) break;
        this.want = 'up';
        this.startWanted();
        break;
      case 'o':
        if (this.stopping) break;
        this.want = 'once';
        this.startWanted();
        break;
      case 'p':
        this.paused = true;
        this.announce();
        if (this.pid) send('SIGSTOP');
        break;
      case 'c':
        this.paused = false;
        this.announce();
        if (this.pid) send('SIGCONT');
        break;
      case 'x':
        this.exitRequested = true;
        this.announce();
        break;
      default: {
        const sig = SIGNAL_COMMANDS[byte];
        if (sig && this.pid) send(sig);
        // Any other byte is ignored, as daemontools does.
      }
    }
  }

  /** timeout-kill: KILL the whole process group if the same ./run is still up after `ms`. */
  private armKill(ms: number): void {
    clearTimeout(this.killTimer);
    const pid = this.pid;
    this.killTimer = setTimeout(() => {
      // Already dead but not yet reaped (a busy event loop): its exit will sweep the group, with
      // down-signal first, as for any other exit. Start ticks unknown (/proc unreadable at spawn):
      // KILL as before rather than never.
      if (this.pid !== pid || (this.startTicks !== null && !isSameProcess(pid, this.startTicks))) return;
      this.warn(`${this.dir}/run (pid ${pid}) still up ${ms} ms after svc -d (timeout-kill): killing its process group`);
      this.signalGroup('SIGKILL');
    }, ms);
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
    clearTimeout(this.killTimer);
    this.cancelBackoff();
    this.closeNotification();
    this.stopAdoptedWatch();
    this.charge?.release();
  }
}
