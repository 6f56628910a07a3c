// The life of ./run under one worker: its start (in its own session, stdio from the host, readiness
// on notification-fd), its exit (last exit, quick deaths, leftovers of its group), the restart that
// follows (at once or after a backoff), signals to it or its group, and the adoption of a child a
// killed supervisor left running. The state machine that orders all this (queue, start hold,
// commands) is worker.ts; what is recorded goes into the ServiceState (status.ts).
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { djbErrorText } from '../protocol/errors.ts';
import { readExtendedStatus, type ExtendedStatus } from '../protocol/extended-status.ts';
import { readStatusBytes, type ServicePaths } from '../protocol/service-dir.ts';
import { decodeStatus, type Status } from '../protocol/status.ts';
import { fromMilliseconds, toMilliseconds } from '../protocol/tai64n.ts';
import { backoffDelay, nextQuickDeaths } from './backoff.ts';
import { daemontoolsChild } from './daemontools-child.ts';
import type { Escalations } from './escalation.ts';
import { watchExit } from './exit-watch.ts';
import { isSameProcess, liveStartTicks, notAdoptable, processGroupMembers, readProcStat } from './proc-stat.ts';
import type { ServiceFiles } from './service-files.ts';
import { spawnInService } from './spawn.ts';
import type { ServiceState } from './status.ts';
import type { ChildExit, WorkerEvent, WorkerOptions } from './worker-api.ts';

/** What the child's life needs of the worker that hosts it. */
export interface ChildHost {
  readonly options: WorkerOptions;
  readonly state: ServiceState;
  readonly escalations: Escalations;
  emit(event: WorkerEvent): void;
  readFiles(): ServiceFiles;
  /** Queues an exit for the state machine; drain() handles it when no start hold is running. */
  queueExit(exit: ChildExit): void;
  drain(): void;
  /** Begins the pause after a start. */
  hold(): void;
  /** Neither `svc -x` nor stop() was asked: ./run may start again. */
  mayRestart(): boolean;
}

export class ServiceChild {
  private readonly host: ChildHost;
  private readonly dir: string;
  private readonly state: ServiceState;
  /** Our own child; undefined when down or when `state.pid` is adopted. */
  private child: ChildProcess | undefined;
  /** Set while `state.pid` is an adopted process rather than our own child. */
  private endAdoptedWatch: (() => void) | undefined;
  private notification: Readable | undefined;
  /** Consecutive exits soon after their start (backoff.ts). */
  private quickDeaths = 0;
  /**
   * The pid an operator's command (`svc -t -k -d`...) has signalled: its exit was asked for, so it
   * is no quick death, whenever it comes (backoff.ts).
   */
  private operatorSignalledPid = 0;
  /** performance.now() when `state.pid` started: how long it ran never depends on the wall clock. */
  private startedAt = 0;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** timeout-kill: cancels the KILL due after `svc -d`. */
  private cancelTimeoutKill: (() => void) | undefined;

  constructor(host: ChildHost) {
    this.host = host;
    this.dir = host.options.dir;
    this.state = host.state;
  }

  private warn(text: string): void {
    this.host.emit({ type: 'warning', text });
  }

  /**
   * Takes over the child recorded in status.json when it is still the same process (pid plus start
   * ticks); when status.json is missing or names another pid than status, daemontools' supervise
   * wrote status: its child is taken over if daemontools-child.ts finds it is ./run. Its want and
   * paused state come from the daemontools status file beside it.
   */
  adopt(paths: ServicePaths): void {
    const { state } = this;
    // 18 bytes at most and non-blocking: a status replaced by a symlink to /dev/zero or by a fifo
    // must not be read for ever nor hang svscan.
    const bytes = readStatusBytes(paths.status);
    const previous: Status | undefined = typeof bytes === 'string' ? undefined : decodeStatus(bytes);
    const ext = readExtendedStatus(paths.superviseDir);
    const recorded = ext && (!previous || ext.pid === previous.pid) ? ext : undefined;
    const left = recorded ? this.recordedChild(paths, recorded, previous) : previous && this.daemontoolsChild(previous);
    if (!left) return;
    const { pid, startTicks } = left;
    const stopWatch = watchExit(pid, startTicks, () => {
      // Not our child: its exit status went to its new parent. Code and signal are unknown.
      this.host.queueExit({ pid, code: null, signal: null, at: Date.now(), monotonicAt: performance.now() });
      this.host.drain();
    });
    if (!stopWatch) return;
    this.endAdoptedWatch = stopWatch;
    // From daemontools' status: up since its timestamp, ready since then, no last exit known.
    const sinceMs = recorded ? recorded.since : toMilliseconds(previous!.since);
    state.adopted = true;
    state.pid = pid;
    state.startTicks = startTicks;
    state.since = fromMilliseconds(sinceMs);
    // Its start is known only on the wall clock of an earlier supervisor: read once, now.
    this.startedAt = performance.now() - Math.max(0, Date.now() - sinceMs);
    state.readySince = recorded ? recorded.readySince : sinceMs;
    if (recorded) state.lastExit = recorded.lastExit;
    if (previous && previous.pid === pid) {
      state.want = previous.want;
      state.paused = previous.paused;
    }
    this.host.emit({ type: 'adopt', pid });
  }

  /** The child status.json records, if it is still that process and may be adopted (notAdoptable). */
  private recordedChild(paths: ServicePaths, ext: ExtendedStatus, previous: Status | undefined): { pid: number; startTicks: number } | undefined {
    if (!ext.pid || ext.pidStartTicks === null) return undefined;
    const pid = ext.pid;
    const refusal = notAdoptable(pid, ext.pidStartTicks);
    if (!refusal) return { pid, startTicks: ext.pidStartTicks };
    // A daemontools ./run that an earlier svscan adopted leads no group of its own: it passes
    // daemontools' checks again (the status keeps daemontools' start time) or it is not adopted.
    const again = previous && daemontoolsChild(this.dir, previous);
    if (again && !('rejected' in again) && again.startTicks === ext.pidStartTicks) return again;
    // A reused pid is the common case after a reboot: not worth a message.
    if (isSameProcess(pid, ext.pidStartTicks)) this.warn(`not adopting pid ${pid} recorded in ${paths.superviseDir}/status.json: ${refusal}`);
    return undefined;
  }

  /** The child daemontools' supervise left running, if daemontools-child.ts finds it is ./run. */
  private daemontoolsChild(status: Status): { pid: number; startTicks: number } | undefined {
    const found = daemontoolsChild(this.dir, status);
    if (found && 'rejected' in found) {
      this.warn(found.rejected);
      return undefined;
    }
    return found;
  }

  private stopAdoptedWatch(): void {
    this.endAdoptedWatch?.();
    this.endAdoptedWatch = undefined;
  }

  /** Starts ./run; `files` when the caller has just read them (an exit followed by a restart). */
  start(files: ServiceFiles = this.host.readFiles()): void {
    const { state } = this;
    let child: ChildProcess;
    try {
      child = spawnInService(this.host.options, './run', [], files.notificationFd);
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
      this.host.queueExit({ pid, code, signal, at: Date.now(), monotonicAt: performance.now() });
      this.host.drain();
    });
    state.paused = false;
    state.adopted = false;
    state.starts++;
    state.pidChange(pid);
    this.startedAt = performance.now();
    state.startTicks = liveStartTicks(pid) ?? null;
    // Without notification-fd a service is ready as soon as it is up (s6's convention).
    state.readySince = files.notificationFd === undefined ? toMilliseconds(state.since) : null;
    if (files.notificationFd !== undefined) this.awaitReadiness(child.stdio[files.notificationFd] as Readable, pid);
    state.announce();
    this.host.emit({ type: 'start', pid });
    this.host.hold();
  }

  /** Ready at the first newline the service writes on its notification-fd (s6's protocol). */
  private awaitReadiness(stream: Readable, pid: number): void {
    this.notification = stream;
    stream.on('error', () => { /* the service closed it: simply never ready */ });
    stream.on('data', (chunk: Buffer) => {
      if (!chunk.includes(0x0a) || this.state.pid !== pid) return;
      this.state.readySince = Date.now();
      this.closeNotification();
      this.state.announce();
      this.host.emit({ type: 'ready', pid });
    });
  }

  private closeNotification(): void {
    this.notification?.destroy();
    this.notification = undefined;
  }

  /** Like daemontools' child dying with 111 after a failed execve: retried after the hold. */
  private spawnFailed(error: Error): void {
    this.host.emit({ type: 'spawn-error', text: `unable to start ${this.dir}/run: ${djbErrorText(error)}`, error });
    this.state.paused = false;
    this.state.pidChange(0);
    this.state.announce();
    this.host.queueExit({ pid: 0, code: 111, signal: null, at: Date.now(), monotonicAt: performance.now() });
    this.host.hold();
  }

  /**
   * Records an exit of ./run (or of a failed spawn, pid 0) and reports it; returns the service
   * files read for what comes next (./finish, a restart). Writes no status: the caller does.
   */
  exited(exit: ChildExit): ServiceFiles {
    const { state } = this;
    const ranForMs = exit.monotonicAt - this.startedAt;
    this.child = undefined;
    this.closeNotification();
    this.cancelTimeoutKill?.();
    this.cancelTimeoutKill = undefined;
    const files = this.host.readFiles();
    let asked = false;
    if (exit.pid) {
      state.lastExit = { code: exit.code, signal: exit.signal ? exit.signal.replace(/^SIG/, '') : null, at: exit.at };
      // An exit the operator asked for neither counts nor resets: restarts by hand are no crash loop.
      asked = exit.pid === this.operatorSignalledPid;
      if (!asked) this.quickDeaths = nextQuickDeaths(files.backoff, this.quickDeaths, ranForMs);
      this.operatorSignalledPid = 0;
      // Only a service that opted into escalation (timeout-kill) has its leftovers hunted down:
      // daemontools leaves a service's other processes alone.
      state.leftovers = files.timeoutKillMs > 0 ? this.sweepGroup(exit.pid, files) : 0;
    }
    this.stopAdoptedWatch();
    state.adopted = false;
    state.startTicks = null;
    state.readySince = null;
    state.pidChange(0);
    if (exit.pid) this.host.emit({ type: 'exit', pid: exit.pid, code: exit.code, signal: exit.signal, at: exit.at, asked });
    return files;
  }

  /**
   * Signals what is left of process group `pgid` after its leader exited as ./run itself would have
   * been (down-signal, CONT, KILL after timeout-kill); returns how many processes were left.
   */
  private sweepGroup(pgid: number, files: ServiceFiles): number {
    const count = processGroupMembers(pgid).length;
    if (count === 0) return 0;
    this.host.emit({ type: 'leftovers', pgid, count });
    this.host.escalations.start({
      signal: (sig) => {
        // The group outlives its leader only through its members, so the id cannot name anyone else.
        try { process.kill(-pgid, sig); } catch { /* all gone */ }
      },
      now: [files.downSignal, 'SIGCONT'],
      killAfterMs: files.timeoutKillMs,
    });
    return count;
  }

  /**
   * After ./run (and ./finish) ended: restart if wanted, now or after the backoff delay. True when
   * it has written the status (a start now, or a backoff), false when the caller should.
   */
  afterDown(files: ServiceFiles): boolean {
    const { state, host } = this;
    if (!host.mayRestart() || state.want !== 'up' || state.pid) return false;
    const delay = backoffDelay(files.backoff, this.quickDeaths);
    if (delay === 0) {
      this.start(files);
      return true;
    }
    state.backoffUntil = Date.now() + delay;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      state.backoffUntil = null;
      if (state.want === 'up' && !state.pid && host.mayRestart()) this.start();
      else state.announce();
      host.drain();
    }, delay);
    state.announce();
    host.emit({ type: 'backoff', delayMs: delay });
    return true;
  }

  cancelBackoff(): void {
    if (!this.backoffTimer) return;
    clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    this.state.backoffUntil = null;
  }

  /** Sends `sig` to ./run (ours, or adopted and still the same process). */
  signal(sig: NodeJS.Signals): void {
    const { state } = this;
    // ChildProcess.kill refuses once the child is reaped, so a recycled pid is never signalled.
    if (this.child) {
      this.child.kill(sig);
      return;
    }
    // An adopted process: make sure the pid still names it right before each signal.
    if (state.adopted && state.pid && isSameProcess(state.pid, state.startTicks)) {
      try {
        process.kill(state.pid, sig);
      } catch (err) {
        this.warn(`unable to signal ${this.dir}/run (pid ${state.pid}): ${djbErrorText(err)}`);
      }
    }
  }

  /** Signals the service's whole process group (its own session), falling back to the pid alone. */
  signalGroup(sig: NodeJS.Signals): void {
    const { pid, startTicks } = this.state;
    if (!pid) return;
    if (this.child ? this.child.exitCode !== null || this.child.signalCode !== null : !isSameProcess(pid, startTicks)) return;
    // The group is the service's only when ./run leads it; an adopted daemontools ./run shares its
    // old supervisor's group with every other service (doc/migrate-from-daemontools.md): pid alone.
    if (readProcStat(pid)?.pgrp !== pid) {
      this.signal(sig);
      return;
    }
    try {
      process.kill(-pid, sig);
    } catch {
      this.signal(sig);
    }
  }

  /** A signal an operator's command sends, to ./run or (`group`) its process group. */
  operatorSignal(sig: NodeJS.Signals, group: boolean): void {
    // Stop and continue end nothing; every other signal may, and then the exit was asked for.
    if (sig !== 'SIGSTOP' && sig !== 'SIGCONT') this.operatorSignalledPid = this.state.pid;
    if (group) this.signalGroup(sig);
    else this.signal(sig);
  }

  /**
   * `svc -d` while up: down-signal and CONT as the operator's signals, then with timeout-kill KILL to
   * the whole process group if the same ./run is still up after it.
   */
  bringDown(files: ServiceFiles, group: boolean): void {
    const { state } = this;
    const pid = state.pid;
    const ms = files.timeoutKillMs;
    const cancel = this.host.escalations.start({
      signal: (sig) => this.operatorSignal(sig, group),
      now: [files.downSignal, 'SIGCONT'],
      killAfterMs: ms > 0 ? ms : undefined,
      kill: (sig) => this.signalGroup(sig),
      killDue: () => {
        // Already dead but not yet reaped (a busy event loop): its exit will sweep the group, with
        // down-signal first, as for any other exit. Start ticks unknown (/proc unreadable at spawn):
        // KILL as before rather than never.
        if (state.pid !== pid || (state.startTicks !== null && !isSameProcess(pid, state.startTicks))) return false;
        this.warn(`${this.dir}/run (pid ${pid}) still up ${ms} ms after svc -d (timeout-kill): killing its process group`);
        return true;
      },
    });
    state.paused = false;
    if (cancel) {
      this.cancelTimeoutKill?.();
      this.cancelTimeoutKill = cancel;
    }
  }

  /** Ends what runs on our side (backoff, readiness, the adopted watch); ./run itself is left running. */
  release(): void {
    this.cancelBackoff();
    this.closeNotification();
    this.stopAdoptedWatch();
  }
}
