// The built-in logger as svscan's main thread sees it: S/log looks like any supervised directory
// (lock, control and ok fifos, status, status.json: src/supervise/charge.ts), but no process runs
// there. The logging itself happens in a LoggerPlace (loggers.ts): relaxlogs' engine on this main
// thread with its disk work in libuv's thread pool, multilog's in one worker thread (thread.ts); either
// way a hung disk stalls logs and never supervision. This side turns svc's commands into messages to
// that place and its figures into status.json.
//
// The status shows svscan's pid while the logger reads (svok, svstat, both tool sets' svc work), and
// never a pidStartTicks: a later svscan must not "adopt" itself when S/log gets a log/run again.
import { constants, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import { readExtendedStatus, EXTENDED_STATUS_VERSION, type ExtendedStatus, type LastExit, type LoggerStatus } from '../protocol/extended-status.ts';
import { djbErrorText } from '../protocol/errors.ts';
import type { Status } from '../protocol/status.ts';
import { fromMilliseconds, now, toMilliseconds, type Timestamp } from '../protocol/tai64n.ts';
import { ServiceCharge } from '../supervise/charge.ts';
import type { WorkerEvent } from '../supervise/worker.ts';
import type { LogStreamStats } from '../relaxlogs/stream.ts';
import type { FromThread, LoggerKind, ToThread } from './messages.ts';
import { asyncRunner } from '../protocol/io-steps.ts';
import { LoggerSet, STATS_INTERVAL_MS } from './loggers.ts';
import { readOptionsFile } from './options-file.ts';

/** dist/svscan-logger.cjs beside the bundle svscan runs from (scripts/build.mjs); '' outside a bundle. */
export const LOGGER_SCRIPT = typeof __dirname === 'string' ? join(__dirname, 'svscan-logger.cjs') : '';

/** Pause before starting a logger again after it failed (supervise's start hold). */
const RETRY_MS = 1000;
/** status.json is rewritten for mere byte counts at most this often (state changes at once). */
const COUNTS_WRITE_MS = 5000;

/** Where built-in loggers run: their starts get ids here, and the messages about them come back. */
export abstract class LoggerPlace {
  private readonly clients = new Map<number, BuiltinLogger>();
  private nextId = 1;

  /** A fresh id for one start of a logger; messages about it go to `client`. */
  register(client: BuiltinLogger): number {
    const id = this.nextId++;
    this.clients.set(id, client);
    return id;
  }

  forget(id: number): void {
    this.clients.delete(id);
  }

  abstract post(message: ToThread): void;

  /**
   * At svscan's stop, once every logger has closed (or been given up on). False when disk work is
   * still stuck in a system call (a hung disk) after `timeoutMs`: Node's own exit would wait for it.
   */
  abstract terminate(timeoutMs: number): Promise<boolean>;

  protected dispatch(m: FromThread): void {
    if (m.op === 'stats') {
      for (const { id, stats } of m.list) this.clients.get(id)?.onStats(id, stats);
    } else {
      this.clients.get(m.id)?.onThread(m);
    }
  }

  /** The place lost every logger at once (the thread died): each start is over. */
  protected lostAll(): void {
    const lost = [...this.clients];
    this.clients.clear();
    for (const [id, client] of lost) client.threadLost(id);
  }
}

/**
 * relaxlogs' engine on svscan's main thread: no thread of its own (a worker thread costs ~10 MB RSS,
 * doc/builtin-logger.md), its disk work in libuv's thread pool. Messages go both ways a microtask
 * later, in order, as they would through a thread's port.
 */
export class MainThreadLoggers extends LoggerPlace {
  private readonly set = new LoggerSet((m) => queueMicrotask(() => this.dispatch(m)), asyncRunner, true);
  private readonly reports = setInterval(() => this.set.report(), STATS_INTERVAL_MS).unref();

  post(message: ToThread): void {
    queueMicrotask(() => this.set.handle(message));
  }

  async terminate(timeoutMs: number): Promise<boolean> {
    clearInterval(this.reports);
    const deadline = performance.now() + timeoutMs;
    while (this.set.working && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return !this.set.working;
  }
}

/**
 * The one worker thread for multilog's engine (which writes synchronously), started with the first
 * `log/multilog` logger. V8 flags are process-wide (bin/svscan sets them); the young generation is kept
 * as small as the main thread's.
 */
export class LoggerThread extends LoggerPlace {
  private worker: Worker | undefined;
  private stopping = false;

  constructor(private readonly script: string, private readonly onProblem: (text: string) => void) {
    super();
  }

  post(message: ToThread): void {
    this.ensure().postMessage(message);
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { resourceLimits: { maxYoungGenerationSizeMb: 1 }, stdout: false, stderr: false });
    worker.on('message', (m: FromThread) => this.dispatch(m));
    worker.on('error', (err) => this.onProblem(`the logger thread failed: ${err.stack ?? err.message}; svscan starts it again and every multilog logger with it`));
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.stopping) this.lostAll();
    });
    this.worker = worker;
    return worker;
  }

  async terminate(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return true;
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      worker.terminate().then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
    clearTimeout(timer);
    return ended;
  }
}

export interface BuiltinLoggerOptions {
  /** S/log. */
  dir: string;
  /** The pipe from S (S/supervise/log.fifo), held open by svscan. */
  fifo: string;
  format: LoggerKind;
  /** The options file (S/log/relaxlogs or S/log/multilog). */
  optionsFile: string;
  /** MainThreadLoggers for relaxlogs' options, the LoggerThread for a multilog script. */
  thread: LoggerPlace;
  tryLock?: (fd: number) => Promise<boolean>;
  onEvent: (event: WorkerEvent) => void;
}

export class BuiltinLogger {
  readonly dir: string;
  private charge!: ServiceCharge;
  /** The current start's id in its LoggerPlace; 0 while no start is running. */
  private id = 0;
  private want: 'up' | 'down' = 'up';
  private paused = false;
  private since: Timestamp = now();
  private starts = 0;
  private lastExit: LastExit | null = null;
  private logDir: string | null = null;
  private stats: LogStreamStats | undefined;
  private countsWrittenAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The last problem reported, so that a retry does not report it again. */
  private problem = '';
  /** svc -t/-k: the next start follows the close at once. */
  private restarting = false;
  private exitRequested = false;
  private finished = false;
  private readonly finishWaiters: (() => void)[] = [];
  private giveUpTimers: NodeJS.Timeout[] = [];

  private constructor(private readonly o: BuiltinLoggerOptions) {
    this.dir = o.dir;
  }

  /** Takes charge of S/log and starts logging unless S/log/down says not to. Rejects as SuperviseWorker.start. */
  static async start(o: BuiltinLoggerOptions): Promise<BuiltinLogger> {
    const logger = new BuiltinLogger(o);
    logger.charge = await ServiceCharge.take({
      dir: o.dir,
      tryLock: o.tryLock,
      onLocked: (charge) => logger.resume(charge),
      onCommandBytes: (bytes) => { for (const byte of bytes) logger.command(byte); },
      onWarning: (text) => o.onEvent({ type: 'warning', text }),
    });
    if (logger.want === 'up') logger.begin();
    else logger.announce();
    return logger;
  }

  /** What an earlier svscan's built-in logger left: the restart count and the last exit go on. */
  private resume(charge: ServiceCharge): void {
    this.want = charge.downFile ? 'down' : 'up';
    const previous = readExtendedStatus(charge.paths.superviseDir);
    if (previous?.logger) this.lastExit = previous.lastExit;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  get status(): Status {
    return { since: this.since, pid: this.id ? process.pid : 0, paused: this.paused, want: this.want };
  }

  get extendedStatus(): ExtendedStatus {
    const up = this.id !== 0;
    return {
      version: EXTENDED_STATUS_VERSION,
      pid: up ? process.pid : 0,
      // No process group of its own: nothing may signal svscan's.
      pgid: 0,
      pidStartTicks: null,
      since: toMilliseconds(this.since),
      readySince: up ? toMilliseconds(this.since) : null,
      restarts: Math.max(0, this.starts - 1),
      lastExit: this.lastExit,
      backoffUntil: null,
      adopted: false,
      leftovers: 0,
      logger: this.loggerStatus(),
    };
  }

  private loggerStatus(): LoggerStatus {
    const s = this.stats;
    return {
      kind: this.o.format,
      optionsFile: this.o.optionsFile,
      logDir: this.logDir,
      reading: this.id !== 0 && !this.paused && !(s?.failing ?? false),
      bytesIn: s?.bytesIn ?? 0,
      bytesWritten: this.o.format === 'multilog' ? null : s?.bytesOut ?? 0,
      lines: s?.lines ?? 0,
      currentFile: s?.activeFile && this.logDir ? join(this.logDir, s.activeFile) : null,
      backpressure: s?.failing ?? false,
      queuedBytes: s?.queuedBytes ?? 0,
      writeErrors: s?.writeErrors ?? 0,
      lastError: s?.lastError ?? null,
    };
  }

  private announce(): void {
    this.countsWrittenAt = performance.now();
    this.charge.writeStatus(this.status, this.extendedStatus);
  }

  private report(text: string): void {
    if (text === this.problem) return;
    this.problem = text;
    this.o.onEvent({ type: 'warning', text });
  }

  /** One start: read the options file, open the logger in its place. */
  private begin(): void {
    if (this.id || this.exitRequested || this.finished) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let words: string[];
    try {
      words = readOptionsFile(this.o.optionsFile, this.o.format, this.dir);
    } catch (err) {
      this.failed((err as Error).message);
      return;
    }
    let fd: number;
    try {
      // Our own open file description: O_NONBLOCK on it reaches no other reader (log-pipe.ts).
      fd = openSync(this.o.fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      this.failed(`unable to read ${this.o.fifo}: ${djbErrorText(err)}`);
      return;
    }
    this.id = this.o.thread.register(this);
    this.stats = undefined;
    this.logDir = null;
    this.starts++;
    this.since = now();
    this.o.thread.post({ op: 'open', id: this.id, fd, fifo: this.o.fifo, kind: this.o.format, words, base: resolve(this.dir), reading: !this.paused });
    this.announce();
    this.o.onEvent({ type: 'start', pid: process.pid });
  }

  /** The start could not run (or ended by itself): down, and tried again while wanted up. */
  private failed(text: string): void {
    this.report(`${this.dir}: ${text}; svscan retries every ${RETRY_MS / 1000} s`);
    this.ended({ code: 111, signal: null, at: Date.now() });
  }

  private ended(exit: LastExit): void {
    const wasUp = this.id !== 0;
    if (this.id) this.o.thread.forget(this.id);
    this.id = 0;
    this.lastExit = exit;
    this.since = fromMilliseconds(exit.at);
    this.announce();
    if (wasUp) this.o.onEvent({ type: 'exit', pid: process.pid, code: exit.code, signal: exit.signal === null ? null : `SIG${exit.signal}` as NodeJS.Signals, at: exit.at });
    if (this.exitRequested) { this.finish(); return; }
    if (this.restarting && this.want === 'up') {
      this.restarting = false;
      this.begin();
      return;
    }
    this.restarting = false;
    if (this.want === 'up' && !this.retryTimer) {
      this.retryTimer = setTimeout(() => { this.retryTimer = undefined; if (this.want === 'up') this.begin(); }, RETRY_MS);
    }
  }

  /** Messages of the logger's place about start `id`. */
  onThread(m: Exclude<FromThread, { op: 'stats' }>): void {
    if (m.id !== this.id) return;
    switch (m.op) {
      case 'opened':
        this.logDir = m.logDir;
        if (this.problem) this.o.onEvent({ type: 'warning', text: `${this.dir}: logging again` });
        this.problem = '';
        this.announce();
        break;
      case 'warn':
        this.o.onEvent({ type: 'warning', text: `${this.dir}: ${m.text}` });
        break;
      case 'fatal':
        this.failed(`${m.text} (options from ${this.o.optionsFile})`);
        break;
      case 'closed':
        this.ended({ code: 0, signal: null, at: Date.now() });
        break;
    }
  }

  onStats(id: number, stats: LogStreamStats): void {
    if (id !== this.id) return;
    const before = this.stats;
    this.stats = stats;
    const changedState = !before || before.failing !== stats.failing || before.activeFile !== stats.activeFile || before.lastError !== stats.lastError;
    if (changedState || performance.now() - this.countsWrittenAt >= COUNTS_WRITE_MS) this.announce();
  }

  /** The thread died (and is being started again): this start is over, the next begins at once. */
  threadLost(id: number): void {
    if (id !== this.id) return;
    this.id = 0;
    this.lastExit = { code: null, signal: null, at: Date.now() };
    if (this.exitRequested) { this.finish(); return; }
    if (this.want === 'up') this.begin();
    else this.announce();
  }

  /** Ends the current start (its thread answers 'closed', then `ended` runs). */
  private close(untilEof = false): void {
    if (this.id) this.o.thread.post({ op: 'close', id: this.id, untilEof });
  }

  private command(byte: string): void {
    if (this.finished) return;
    switch (byte) {
      case 'a': if (this.id) this.o.thread.post({ op: 'rotate', id: this.id }); break;
      case 'h': if (this.id) this.o.thread.post({ op: 'reopen', id: this.id }); break;
      case 't':
      case 'k':
        // A restart: flush, close, read the options file again, reopen.
        if (!this.id) break;
        this.restarting = true;
        this.close();
        break;
      case 'd':
        this.want = 'down';
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        if (this.id) this.close();
        else this.announce();
        break;
      case 'u':
      case 'o':
        this.want = 'up';
        if (this.id) this.announce();
        else this.begin();
        break;
      case 'p':
      case 'c':
        this.paused = byte === 'p';
        if (this.id) this.o.thread.post({ op: 'read', id: this.id, on: !this.paused });
        this.announce();
        break;
      case 'x':
        this.exitRequested = true;
        if (this.id) this.close();
        else this.finish();
        break;
      default:
        // Signals have no process to go to; any other byte is ignored, as daemontools does.
    }
  }

  /**
   * svscan's stop, a removed service, or a switch to log/run: the current start ends (after reading
   * to end of input for `termAfterMs`, when svscan has let go of the pipe), then S/log is released.
   * A thread that does not answer within `killAfterMs` (a hung disk) is given up on.
   */
  stop(options: { killAfterMs?: number; termAfterMs?: number } = {}): Promise<void> {
    if (this.finished) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.finishWaiters.push(resolve));
    if (this.exitRequested) return done;
    this.exitRequested = true;
    this.want = 'down';
    clearTimeout(this.retryTimer);
    if (!this.id) { this.finish(); return done; }
    const termAfterMs = options.termAfterMs ?? 0;
    if (termAfterMs > 0) {
      this.close(true);
      this.giveUpTimers.push(setTimeout(() => this.close(), termAfterMs));
    } else {
      this.close();
    }
    this.giveUpTimers.push(setTimeout(() => {
      this.o.onEvent({ type: 'warning', text: `${this.dir}: the logger did not close the log within ${termAfterMs + (options.killAfterMs ?? 10_000)} ms (a hung disk?): released without it` });
      this.ended({ code: null, signal: 'KILL', at: Date.now() });
    }, termAfterMs + (options.killAfterMs ?? 10_000)));
    return done;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.giveUpTimers.splice(0)) clearTimeout(timer);
    clearTimeout(this.retryTimer);
    if (this.id) this.o.thread.forget(this.id);
    this.id = 0;
    this.announce();
    this.charge.release();
    this.o.onEvent({ type: 'finish' });
    for (const resolve of this.finishWaiters.splice(0)) resolve();
  }
}
