// The supervise worker: daemontools 0.76's supervise as a state machine, with no CLI in it, so that
// `supervise DIR` runs one and svscan hosts many in one process. It owns SERVICE/supervise/ (lock,
// control and ok fifos, status) in daemontools' on-disk format.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { djbErrorText } from '../protocol/errors.ts';
import { holdFifoOpen, makeFifo, openFifoReader, type FifoReader } from '../protocol/fifo.ts';
import { tryFlock } from '../protocol/flock.ts';
import { servicePaths, writeStatusFile, type ServicePaths } from '../protocol/service-dir.ts';
import type { Status, Want } from '../protocol/status.ts';
import { now, type Timestamp } from '../protocol/tai64n.ts';

/** After every start supervise takes no action for this long: what limits a crash loop to 1 restart/s. */
export const START_HOLD_MS = 1000;

/** The command bytes `svc` writes, and the signal each forwards to ./run. */
const SIGNAL_COMMANDS: Record<string, NodeJS.Signals> = {
  a: 'SIGALRM', h: 'SIGHUP', i: 'SIGINT', k: 'SIGKILL', t: 'SIGTERM', '1': 'SIGUSR1', '2': 'SIGUSR2',
};

export type WorkerEvent =
  | { type: 'start'; pid: number }
  | { type: 'exit'; pid: number; code: number | null; signal: NodeJS.Signals | null }
  /** ./run could not be executed; `text` is daemontools' wording ("unable to start DIR/run: ..."). */
  | { type: 'spawn-error'; text: string; error: Error }
  | { type: 'warning'; text: string }
  /** The worker has released everything after `svc -x` (and the service being down). */
  | { type: 'finish' };

export interface WorkerOptions {
  /** The service directory, as the operator named it (used verbatim in messages). */
  dir: string;
  /** stdin, stdout, stderr of ./run: fds or 'inherit' (the default: supervise's own). */
  stdio?: [number | 'inherit' | 'ignore', number | 'inherit' | 'ignore', number | 'inherit' | 'ignore'];
  env?: NodeJS.ProcessEnv;
  onEvent?: (event: WorkerEvent) => void;
}

/** A failure to take charge of a service directory; `message` is daemontools' wording, exit 111. */
export class SuperviseStartError extends Error {}

type QueuedEvent =
  | { kind: 'exit'; pid: number; code: number | null; signal: NodeJS.Signals | null }
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
  private since: Timestamp = now();
  /** daemontools' flagwant/flagwantup: 'once' after `svc -o`. */
  private want: Want = 'up';
  private paused = false;
  private exitRequested = false;
  private finished = false;

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
    if (worker.want !== 'down') worker.startRun();
    return worker;
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
    if (!(await tryFlock(this.lockFd))) {
      this.fail(`unable to acquire ${dir}/supervise/lock`, { code: 'EAGAIN' });
    }
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
    this.announce();
    try {
      await makeFifo(paths.ok);
      this.okFd = holdFifoOpen(paths.ok);
    } catch (err) {
      this.fail(`unable to read ${dir}/supervise/ok`, err);
    }
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
    const stdio: StdioOptions = this.options.stdio ?? ['inherit', 'inherit', 'inherit'];
    let child: ChildProcess;
    try {
      // detached: its own session and process group, so a whole service can be signalled at once
      // and a terminal's ^C or svscan's death never reaches it.
      child = spawn('./run', [], { cwd: this.dir, stdio, env: this.options.env ?? process.env, detached: true });
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
      this.queue.push({ kind: 'exit', pid, code, signal });
      this.drain();
    });
    this.paused = false;
    this.pidChange(pid);
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
    this.queue.push({ kind: 'exit', pid: 0, code: 111, signal: null });
    this.hold();
  }

  private hold(): void {
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.drain();
    }, START_HOLD_MS);
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
    this.pidChange(0);
    this.announce();
    if (event.pid) this.emit({ type: 'exit', pid: event.pid, code: event.code, signal: event.signal });
    if (this.exitRequested) return;
    if (this.want === 'up') this.startRun();
  }

  private signal(sig: NodeJS.Signals): void {
    // ChildProcess.kill refuses once the child is reaped, so a recycled pid is never signalled.
    this.child?.kill(sig);
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
        this.want = 'up';
        this.announce();
        if (!this.pid) this.startRun();
        break;
      case 'o':
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
  }

  /** Closes the fifos and the lock. The child, if any, is left running: supervise never kills it. */
  private release(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.control?.close();
    this.control = undefined;
    for (const fd of [this.okFd, this.lockFd]) if (fd >= 0) closeSync(fd);
    this.okFd = this.lockFd = -1;
  }
}
