// One log stream: bytes in -> framer -> rotating file (or stdout), with the timers, the directory
// lock and the write-error back-pressure around it, and nothing of a process: no stdin, no signals,
// no exit. The standalone relaxlogs (main.ts) feeds it from fd 0 and maps signals onto its methods;
// svscan's built-in logger (src/logd/) runs many of them on svscan's main thread, each fed from a fifo.
// All disk work goes through one queue of jobs (framed bytes, --tee copies, rotation, purge, fsync,
// close), run one at a time by a Runner (src/protocol/io-steps.ts): at once (relaxlogs, a process of
// its own) or in libuv's thread pool (svscan, where a hung disk must not stall supervision). While
// jobs wait, input is paused, so at most the read in hand is ever between the pipe and the disk.
import fs from 'node:fs';
import path from 'node:path';
import { flockCall } from '../protocol/flock.ts';
import { djbErrorText } from '../protocol/errors.ts';
import { call, io, syncRunner, type Runner, type Steps } from '../protocol/io-steps.ts';
import { makingDirectory } from '../protocol/make-directory.ts';
import { writingAll } from '../protocol/write-all.ts';
import { AfterClose } from './after-close.ts';
import { Framer } from './framer.ts';
import type { LoggerOptions } from './main.ts';
import { Periods } from './period.ts';
import { RotatingFile, SYSTEM_CLOCK, WriteFailure } from './rotating-file.ts';
import { StdoutSink } from './stdout-sink.ts';
import { Strftime } from './strftime.ts';
import { makeStamper } from './timestamp.ts';
import { UsageError } from './units.ts';

type Sink = RotatingFile | StdoutSink;

const FSYNC_INTERVAL = 1000;

export interface LogStreamHooks {
  info(fields: object, msg: string): void;
  warn(msg: string): void;
  /** Stop and start reading input: back-pressure while writes fail, and at the end. */
  pauseInput(): void;
  resumeInput(): void;
  /** A failure the stream cannot go on after (directory, lock, --on-write-error exit); it is dead. */
  fatal(msg: string): void;
  /** Everything accepted has been written and the file closed (after end() or stop()). */
  finished(): void;
  /** The log directory and its lock are taken: logging runs (from the constructor when run at once). */
  opened?(): void;
}

export interface LogStreamStats {
  bytesIn: number;
  bytesOut: number;
  /** Newlines in the input. */
  lines: number;
  writeErrors: number;
  startedAt: string;
  /** The file being appended to, relative to the log directory (null: none open, or stdout). */
  activeFile: string | null;
  /** Writes are failing: input is paused and retried every --retry-interval. */
  failing: boolean;
  queuedBytes: number;
  lastError: string | null;
}

export class LogStream {
  private readonly sink: Sink;
  private readonly framer: Framer;
  private readonly stamp: ((ms: number) => Buffer) | null;
  private readonly timers: NodeJS.Timeout[] = [];
  private lockFd = -1;
  private stats = { bytesIn: 0, bytesOut: 0, lines: 0, writeErrors: 0, startedAt: new Date().toISOString(), lastError: null as string | null };
  private stopping = false;
  private failing = false;
  private dead = false;
  private tee: boolean;
  /** Disk work in order; the head is retried while writes fail. */
  private readonly jobs: Job[] = [];
  /** The head job's steps are running (in the thread pool, when not run at once). */
  private busy = false;
  private pumping = false;
  /** Input is paused by this stream: work queued, writes failing, or closing. */
  private holding = false;
  /** finish() was called: input stays paused, the close job is queued or will be after a retry. */
  private closing = false;
  private closeQueued = false;
  /** Jobs complete before the call that queued them returns (syncRunner). */
  private readonly immediate: boolean;
  private flushTimer: NodeJS.Timeout | null = null;

  /**
   * Validates `o` (throws UsageError before any side effect), then takes the directory (and its
   * lock): a failure there is reported through hooks.fatal and the stream is dead (`isDead`).
   * `run`: syncRunner (the default) does all disk work before each call returns; asyncRunner in
   * libuv's thread pool.
   */
  constructor(private readonly o: LoggerOptions, private readonly hooks: LogStreamHooks, private readonly run: Runner = syncRunner) {
    this.immediate = run === syncRunner;
    this.stamp = o.timeFormat === null ? null : makeStamper(o.timeFormat, o.zone);
    const periods = new Periods(o.zone, o.rotationTime, new Strftime(o.pattern, '--pattern'));
    if (o.pattern.includes('/')) throw new UsageError(`--pattern '${o.pattern}': names files inside --log-dir, no '/'`);
    if (o.linkName.includes('/') || o.linkName === 'lock') throw new UsageError(`--link-name '${o.linkName}': a plain name other than 'lock'`);
    this.tee = o.tee;
    this.framer = new Framer({ maxLine: o.maxLine, longLines: o.longLines, bufferSize: o.bufferSize }, (bytes) => this.deliver(bytes));
    if (o.logDir === null) {
      this.sink = new StdoutSink();
      hooks.opened?.();
      return;
    }
    const dir = o.logDir;
    const afterClose = new AfterClose({
      compress: o.compress, processor: o.processor, retryInterval: o.retryInterval, warn: (m) => hooks.warn(m),
    });
    const sink = new RotatingFile({
      dir, periods, clock: SYSTEM_CLOCK, linkName: o.linkName, rotationSize: o.rotationSize,
      retention: { maxAge: o.maxAge, count: o.rotationCount, totalSize: o.maxTotalSize },
      fsync: o.fsync, fileMode: o.fileMode, dirMode: o.dirMode,
      onPurged: (names) => hooks.info({ deleted: names }, 'purged'),
      ...(afterClose.enabled ? { onClosed: (file: string) => afterClose.add(file) } : {}),
    });
    this.sink = sink;
    this.queue({
      kind: 'action',
      steps: () => this.takeDirectory(dir, sink, afterClose),
      then: (err) => {
        if (err) { this.die((err as Error).message); return; }
        this.timers.push(setInterval(() => this.act(() => sink.purge()), o.purgeInterval || 3_600_000).unref());
        if (o.fsync === 'interval') this.timers.push(setInterval(() => this.act(() => sink.sync()), FSYNC_INTERVAL).unref());
        if (o.createEmpty) this.act(() => sink.tick(true));
        this.armBoundary();
        hooks.opened?.();
      },
    });
  }

  /** Makes the log directory, takes its lock, finishes what a previous run left; throws the message to die with. */
  private *takeDirectory(dir: string, sink: RotatingFile, afterClose: AfterClose): Steps {
    try {
      yield* makingDirectory(dir, this.o.dirMode);
    } catch (err) {
      throw new Error(`unable to create directory ${dir}: ${djbErrorText(err)}`);
    }
    if (this.o.lock) {
      try {
        this.lockFd = yield* call(io.open(path.join(dir, 'lock'), fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644));
      } catch (err) {
        throw new Error(`unable to open ${dir}/lock: ${djbErrorText(err)}`);
      }
      let held: boolean;
      try {
        held = yield* call(flockCall(this.lockFd));
      } catch (err) {
        throw new Error(`unable to lock directory ${dir}: ${(err as Error).message}`);
      }
      if (!held) throw new Error(`unable to lock directory ${dir}: lock busy`);
    }
    yield* afterClose.recover(dir, sink.own, yield* sink.appendTarget());
    this.framer.atLineStart = !(yield* sink.probeMidLine());
  }

  /** Without input the period still ends: rotate an idle file (and open the next with --create-empty). */
  private armBoundary(): void {
    const wait = Math.max(100, Math.min(this.sink.nextBoundary - Date.now(), 3_600_000));
    const timer = setTimeout(() => {
      this.timers.splice(this.timers.indexOf(timer), 1);
      if (this.framer.pending === 0) this.act(() => this.sink.tick(this.o.createEmpty));
      this.armBoundary();
    }, wait).unref();
    this.timers.push(timer);
  }

  get isDead(): boolean {
    return this.dead;
  }

  /** A job's steps are under way (in the thread pool: a hung disk keeps them there). */
  get working(): boolean {
    return this.busy;
  }

  snapshot(): LogStreamStats {
    let queuedBytes = 0;
    for (const job of this.jobs) if (job.kind === 'bytes') queuedBytes += job.bytes.length;
    return { ...this.stats, activeFile: this.sink.active, failing: this.failing, queuedBytes };
  }

  /** One read of input. */
  push(chunk: Buffer): void {
    if (this.dead) return;
    this.stats.bytesIn += chunk.length;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.stats.lines++;
    // The reader reuses its buffer: what may wait in the queue is a copy.
    if (this.tee) this.jobs.push({ kind: 'tee', bytes: this.immediate ? chunk : Buffer.from(chunk) });
    const { framer } = this;
    framer.push(chunk, this.stamp === null ? null : this.stamp(Date.now()));
    if (this.o.flushInterval === 0 || this.stopping) framer.flush();
    else if (this.flushTimer === null && framer.pending > 0) {
      this.flushTimer = setTimeout(() => { this.flushTimer = null; framer.flush(); }, this.o.flushInterval);
    }
    this.pump();
    if (this.stopping && framer.atLineStart) this.finish();
  }

  /** End of input: the last line is ended, everything written, the file closed. */
  end(): void {
    if (this.dead) return;
    this.stopping = true;
    this.framer.endLine();
    this.finish();
  }

  /** TERM: finish (waiting a bounded time for the end of the line being written, as multilog and s6-log do). */
  stop(): void {
    if (this.stopping || this.dead) return;
    this.stopping = true;
    if (this.framer.atLineStart) { this.finish(); return; }
    this.timers.push(setTimeout(() => { this.framer.endLine(); this.finish(); }, this.o.lastLineTimeout).unref());
  }

  /** HUP: close and open the file again. */
  reopen(): void {
    this.framer.flush();
    this.act(() => this.sink.reopen());
  }

  /** ALRM: a new file now (at the next line boundary). */
  rotate(): void {
    this.framer.flush();
    this.sink.requestRotation();
    this.act(() => this.sink.tick(false));
  }

  /** Lets go of timers and the directory lock without writing anything more (after finished or fatal). */
  dispose(then: () => void = () => {}): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.lockFd < 0) { then(); return; }
    const fd = this.lockFd;
    this.lockFd = -1;
    this.run(call(io.close(fd)), () => then());
  }

  /** Pauses input until pump() finds nothing waiting (and nothing failing or closing). */
  private hold(): void {
    if (this.holding) return;
    this.holding = true;
    this.hooks.pauseInput();
  }

  private die(msg: string): void {
    this.dead = true;
    this.jobs.length = 0;
    this.hooks.pauseInput();
    this.dispose();
    this.hooks.fatal(msg);
  }

  /** Framed bytes (in the framer's reused buffer). */
  private deliver(bytes: Buffer): void {
    const waits = !this.immediate || this.failing || this.busy || this.jobs.length > 0;
    this.jobs.push({ kind: 'bytes', bytes: waits ? Buffer.from(bytes) : bytes });
    this.pump();
  }

  /** A sink action outside the data path, skipped while writes fail (the retry ticks); a failure enters the retry loop. */
  private act(steps: () => Steps): void {
    if (this.failing || this.dead) return;
    this.queue({ kind: 'action', steps });
  }

  private queue(job: Job): void {
    this.jobs.push(job);
    this.pump();
  }

  /** Runs jobs from the head while nothing runs or fails; then holds input while any wait. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    while (!this.busy && !this.failing && !this.dead && this.jobs.length > 0) {
      const job = this.jobs[0]!;
      this.busy = true;
      let returned = false;
      this.run(this.stepsOf(job), (err) => {
        this.busy = false;
        this.completed(job, err);
        if (returned) this.pump();
      });
      returned = true;
    }
    this.pumping = false;
    if (this.dead) return;
    if (this.busy || this.jobs.length > 0 || this.failing || this.closing) {
      this.hold();
    } else if (this.holding) {
      this.holding = false;
      this.hooks.resumeInput();
    }
  }

  private stepsOf(job: Job): Steps {
    switch (job.kind) {
      case 'bytes': return this.sink.write(job.bytes);
      case 'tee': return this.tee ? writingAll(1, job.bytes, 1) : nothing();
      case 'action': return job.steps();
    }
  }

  private completed(job: Job, err: unknown): void {
    if (this.dead) return;
    if (job.kind === 'bytes') {
      if (!err) {
        this.stats.bytesOut += job.bytes.length;
        this.jobs.shift();
        return;
      }
      const written = err instanceof WriteFailure ? err.written : 0;
      this.stats.bytesOut += written;
      job.bytes = Buffer.from(job.bytes.subarray(written));
      this.fail(causeOf(err));
      return;
    }
    this.jobs.shift();
    if (job.kind === 'tee') {
      if (!err || !this.tee) return;
      // The copy is a convenience: a closed stdout must not stop the log.
      this.tee = false;
      this.hooks.warn(`--tee: unable to write to stdout: ${djbErrorText(err)}; copy stopped`);
    } else if (job.then) {
      job.then(err);
    } else if (err) {
      this.fail(causeOf(err));
    }
  }

  private fail(cause: unknown): void {
    this.stats.writeErrors++;
    this.stats.lastError = `unable to write to ${this.o.logDir ?? 'stdout'}: ${djbErrorText(cause)}`;
    this.failing = true;
    this.hold();
    if (this.o.onWriteError === 'exit') {
      this.die(`unable to write: ${djbErrorText(cause)}; exiting (--on-write-error exit)`);
      return;
    }
    this.hooks.warn(`${this.stats.lastError}; pausing for ${this.o.retryInterval} ms`);
    const timer = setTimeout(() => { this.timers.splice(this.timers.indexOf(timer), 1); this.retry(); }, this.o.retryInterval);
    this.timers.push(timer);
  }

  /** Writes what waits, then lets the sink catch up with the clock (a period may have ended meanwhile). */
  private retry(): void {
    this.failing = false;
    this.act(() => this.sink.tick(this.o.createEmpty));
    if (this.closing && !this.closeQueued) this.queueClose();
  }

  private finish(): void {
    if (this.dead) return;
    this.closing = true;
    this.hold();
    this.framer.flush();
    if (!this.closeQueued && !this.failing) this.queueClose();
  }

  private queueClose(): void {
    this.closeQueued = true;
    this.queue({
      kind: 'action',
      steps: () => this.sink.close(),
      then: (err) => {
        this.closeQueued = false;
        if (err) { this.fail(causeOf(err)); return; }
        this.dead = true;
        // The lock goes before `finished`: the next start (svc -t) takes it at once.
        this.dispose(() => this.hooks.finished());
      },
    });
  }
}

/** What a failed write or sink action failed with (a WriteFailure carries it, with the bytes written). */
function causeOf(err: unknown): unknown {
  return err instanceof WriteFailure ? err.error : err;
}

/** The steps of a job with nothing left to do (a --tee copy after the copy stopped). */
function* nothing(): Steps {}

type Job =
  /** Framed bytes for the sink; what a failed write left of them stays at the head. */
  | { kind: 'bytes'; bytes: Buffer }
  /** --tee's copy of a read, to stdout. */
  | { kind: 'tee'; bytes: Buffer }
  /** Rotation, purge, fsync, reopen, close; `then` takes its outcome, else a failure enters the retry loop. */
  | { kind: 'action'; steps: () => Steps; then?: (err: unknown) => void };
