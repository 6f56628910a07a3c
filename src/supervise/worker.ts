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
//
// This file is the state machine: the queue of exits and commands, the start hold, svc's commands,
// stop() and the end. Its parts, by job: charge.ts (holding the directory), child.ts (./run's life:
// start, exit, restart, backoff, adoption, signals), finish-script.ts (./finish), escalation.ts
// (signal now, KILL later), status.ts (what status and status.json record).
import type { ExtendedStatus } from '../protocol/extended-status.ts';
import { servicePaths, type ServicePaths } from '../protocol/service-dir.ts';
import type { Status } from '../protocol/status.ts';
import { ServiceCharge } from './charge.ts';
import { ServiceChild } from './child.ts';
import { Escalations } from './escalation.ts';
import { FinishScript } from './finish-script.ts';
import { readServiceFiles, type ServiceFiles } from './service-files.ts';
import { ServiceState } from './status.ts';
import type { ChildExit, StopOptions, WorkerEvent, WorkerOptions } from './worker-api.ts';

export { SuperviseStartError } from './charge.ts';
export type { StdioEntry, StdioForStart, StdioTuple, StopOptions, WorkerEvent, WorkerOptions } from './worker-api.ts';

/** After every start supervise takes no action for this long: what limits a crash loop to 1 restart/s. */
export const START_HOLD_MS = 1000;

/** The command bytes `svc` writes, and the signal each forwards to ./run. */
const SIGNAL_COMMANDS: Record<string, NodeJS.Signals> = {
  a: 'SIGALRM', h: 'SIGHUP', i: 'SIGINT', k: 'SIGKILL', t: 'SIGTERM', q: 'SIGQUIT', '1': 'SIGUSR1', '2': 'SIGUSR2',
};

/** The command byte after which the signal commands of the same write go to the whole process group. */
const GROUP_PREFIX = '+';

/** A byte read from `control`; `group`: the write it came in had the `+` prefix before it. */
interface QueuedCommand {
  byte: string;
  group: boolean;
}

export class SuperviseWorker {
  readonly dir: string;
  readonly paths: ServicePaths;
  private readonly options: WorkerOptions;
  private readonly state: ServiceState;
  private readonly escalations = new Escalations();
  private readonly child: ServiceChild;
  private readonly finishScript: FinishScript;

  private readonly finishWaiters: (() => void)[] = [];
  private exitRequested = false;
  private finished = false;
  /** stop() was called: nothing starts ./run again. */
  private stopping = false;

  /** Exits not handled yet; each goes before any queued command. */
  private readonly exits: ChildExit[] = [];
  /**
   * Commands not handled yet, from `nextCommand` on. Two queues and an index, so each event costs the
   * same however many wait: 64 KiB written to control at once (svscan hosts every service in one
   * process) cost minutes of CPU when each step searched and spliced one mixed queue.
   */
  private commands: QueuedCommand[] = [];
  private nextCommand = 0;
  private holdTimer: NodeJS.Timeout | undefined;

  private constructor(options: WorkerOptions) {
    this.options = options;
    this.dir = options.dir;
    this.paths = servicePaths(options.dir);
    this.state = new ServiceState(options.extendedStatus ?? true);
    const { state, escalations } = this;
    this.child = new ServiceChild({
      options, state, escalations,
      emit: (event) => this.emit(event),
      readFiles: () => this.readFiles(),
      queueExit: (exit) => this.exits.push(exit),
      drain: () => this.drain(),
      hold: () => this.hold(),
      mayRestart: () => !this.exitRequested && !this.stopping,
    });
    this.finishScript = new FinishScript({
      options, state, escalations,
      warn: (text) => this.warn(text),
      afterFinish: (files) => this.child.afterDown(files),
      drain: () => this.drain(),
    });
  }

  /**
   * Takes charge of `dir` as daemontools' supervise does at start-up, and starts ./run unless a
   * `down` file says not to. Rejects with SuperviseStartError (lock held, unusable directory).
   */
  static async start(options: WorkerOptions): Promise<SuperviseWorker> {
    const worker = new SuperviseWorker(options);
    const { state } = worker;
    try {
      await ServiceCharge.take({
        dir: options.dir,
        tryLock: options.tryLock,
        onLocked: (charge) => {
          state.charge = charge;
          if (charge.downFile) state.want = 'down';
          // Before the first status write, which would forget the child a killed supervisor left running;
          // never from a status.json others could have written (charge.ts says so).
          if (options.adopt && charge.filesTrusted) worker.child.adopt(worker.paths);
        },
        // When ./run starts right after, its start writes the status: one write instead of two.
        firstStatus: () => (state.adopted || state.want === 'down' ? state.toWrite() : undefined),
        onCommandBytes: (bytes) => worker.onCommandBytes(bytes),
        onWarning: (text) => worker.warn(text),
      });
    } catch (err) {
      worker.release();
      throw err;
    }
    if (!state.adopted && state.want !== 'down') worker.child.start();
    return worker;
  }

  /** Pid of the running ./run (ours or adopted), 0 when down. */
  get runningPid(): number {
    return this.state.pid;
  }

  get isAdopted(): boolean {
    return this.state.adopted;
  }

  /** The content of supervise/status.json as this worker would write it now. */
  get extendedStatus(): ExtendedStatus {
    return this.state.extendedStatus;
  }

  /** The state as written to `supervise/status`. */
  get status(): Status {
    return this.state.status;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Queues the command bytes of one write to `control`; a `+` sends the signals after it to the group. */
  private onCommandBytes(bytes: string): void {
    let group = false;
    for (const byte of bytes) {
      if (byte === GROUP_PREFIX) group = true;
      else this.commands.push({ byte, group });
    }
    this.drain();
  }

  private emit(event: WorkerEvent): void {
    this.options.onEvent?.(event);
  }

  private warn(text: string): void {
    this.emit({ type: 'warning', text });
  }

  private readFiles(): ServiceFiles {
    return readServiceFiles(this.dir, (text) => this.warn(text));
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
      const exit = this.exits.shift();
      if (exit) {
        this.onExit(exit);
        continue;
      }
      const command = this.commands[this.nextCommand];
      if (!command) {
        this.commands = [];
        this.nextCommand = 0;
        break;
      }
      this.nextCommand++;
      this.onCommand(command.byte, command.group);
    }
    if (this.exitRequested && this.state.pid === 0 && !this.holdTimer && !this.finishScript.running) this.finish();
  }

  private onExit(exit: ChildExit): void {
    const files = this.child.exited(exit);
    // The finish script announces once its pid is known: nobody may see "down and finished" before it.
    if (exit.pid && files.finish) {
      this.finishScript.run(exit, files);
    } else if (!this.child.afterDown(files)) {
      // Staying down: write it. (A restart at once or a backoff writes the status itself: one write
      // instead of two on the path a crashing or killed service takes.)
      this.state.announce();
    }
  }

  /** `svc -u` / `-o`: start now (cutting a backoff short), unless ./finish still runs: then after it. */
  private startWanted(): void {
    this.child.cancelBackoff();
    this.state.announce();
    if (!this.state.pid && !this.finishScript.running) this.child.start();
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
    const { state, child, escalations } = this;
    const killAfterMs = options.killAfterMs ?? 10_000;
    const termAfterMs = options.termAfterMs ?? 0;
    state.want = 'down';
    this.exitRequested = true;
    state.announce();
    child.cancelBackoff();
    const downSignal = this.readFiles().downSignal;
    const term = () => {
      if (!state.pid) return;
      escalations.start({ signal: (sig) => child.signalGroup(sig), now: [downSignal, 'SIGCONT'], killAfterMs });
      state.paused = false;
    };
    if (termAfterMs > 0) escalations.after(termAfterMs, term);
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
    const { state, child } = this;
    switch (byte) {
      case 'd':
        state.want = 'down';
        child.cancelBackoff();
        if (state.pid) child.bringDown(this.readFiles(), group);
        state.announce();
        break;
      case 'u':
        if (this.stopping) break;
        state.want = 'up';
        this.startWanted();
        break;
      case 'o':
        if (this.stopping) break;
        state.want = 'once';
        this.startWanted();
        break;
      case 'p':
        state.paused = true;
        state.announce();
        if (state.pid) child.operatorSignal('SIGSTOP', group);
        break;
      case 'c':
        state.paused = false;
        state.announce();
        if (state.pid) child.operatorSignal('SIGCONT', group);
        break;
      case 'x':
        this.exitRequested = true;
        state.announce();
        break;
      default: {
        const sig = SIGNAL_COMMANDS[byte];
        if (sig && state.pid) child.operatorSignal(sig, group);
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
    this.escalations.cancelAll();
    this.child.release();
    this.state.charge?.release();
  }
}
