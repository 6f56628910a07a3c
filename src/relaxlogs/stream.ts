// One log stream: bytes in -> framer -> rotating file (or stdout), with the timers, the directory
// lock and the write-error back-pressure around it, and nothing of a process: no stdin, no signals,
// no exit. The standalone relaxlogs (main.ts) feeds it from fd 0 and maps signals onto its methods;
// svscan's built-in logger (src/logd/) runs many of them in one worker thread, each fed from a fifo.
// The data path never waits on anything but write(2).
import fs from 'node:fs';
import path from 'node:path';
import { tryFlockSync } from '../protocol/flock.ts';
import { djbErrorText } from '../protocol/errors.ts';
import { AfterClose } from './after-close.ts';
import { Framer } from './framer.ts';
import type { LoggerOptions } from './main.ts';
import { Periods } from './period.ts';
import { makeDirectory, RotatingFile, SYSTEM_CLOCK, WriteFailure } from './rotating-file.ts';
import { StdoutSink, writeAllSync } from './stdout-sink.ts';
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
  /** Bytes framed but refused by the sink, in order; retried before anything newer. */
  private readonly queue: Buffer[] = [];
  private flushTimer: NodeJS.Timeout | null = null;

  /**
   * Validates `o` (throws UsageError before any side effect), then takes the directory (and its
   * lock): a failure there is reported through hooks.fatal and the stream is dead (`isDead`).
   */
  constructor(private readonly o: LoggerOptions, private readonly hooks: LogStreamHooks) {
    this.stamp = o.timeFormat === null ? null : makeStamper(o.timeFormat, o.zone);
    const periods = new Periods(o.zone, o.rotationTime, new Strftime(o.pattern, '--pattern'));
    if (o.pattern.includes('/')) throw new UsageError(`--pattern '${o.pattern}': names files inside --log-dir, no '/'`);
    if (o.linkName.includes('/') || o.linkName === 'lock') throw new UsageError(`--link-name '${o.linkName}': a plain name other than 'lock'`);
    this.tee = o.tee;
    this.framer = new Framer({ maxLine: o.maxLine, longLines: o.longLines, bufferSize: o.bufferSize }, (bytes) => this.deliver(bytes));
    if (o.logDir === null) {
      this.sink = new StdoutSink();
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
    if (!this.takeDirectory(dir)) return;
    afterClose.recover(dir, sink.own, sink.appendTarget);
    this.framer.atLineStart = !sink.probeMidLine();
    this.timers.push(setInterval(() => this.guard(() => sink.purge()), o.purgeInterval || 3_600_000).unref());
    if (o.fsync === 'interval') this.timers.push(setInterval(() => this.guard(() => sink.sync()), FSYNC_INTERVAL).unref());
    if (o.createEmpty) this.guard(() => sink.tick(true));
    this.armBoundary();
  }

  /** Makes the log directory and takes its lock; false (after hooks.fatal) when it cannot. */
  private takeDirectory(dir: string): boolean {
    try {
      makeDirectory(dir, this.o.dirMode);
    } catch (err) {
      return this.die(`unable to create directory ${dir}: ${djbErrorText(err)}`);
    }
    if (!this.o.lock) return true;
    try {
      this.lockFd = fs.openSync(path.join(dir, 'lock'), fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644);
    } catch (err) {
      return this.die(`unable to open ${dir}/lock: ${djbErrorText(err)}`);
    }
    if (!tryFlockSync(this.lockFd)) return this.die(`unable to lock directory ${dir}: lock busy`);
    return true;
  }

  /** Without input the period still ends: rotate an idle file (and open the next with --create-empty). */
  private armBoundary(): void {
    const wait = Math.max(100, Math.min(this.sink.nextBoundary - Date.now(), 3_600_000));
    const timer = setTimeout(() => {
      this.timers.splice(this.timers.indexOf(timer), 1);
      if (this.framer.pending === 0) this.guard(() => this.sink.tick(this.o.createEmpty));
      this.armBoundary();
    }, wait).unref();
    this.timers.push(timer);
  }

  get isDead(): boolean {
    return this.dead;
  }

  snapshot(): LogStreamStats {
    return {
      ...this.stats,
      activeFile: this.sink.active,
      failing: this.failing,
      queuedBytes: this.queue.reduce((n, b) => n + b.length, 0),
    };
  }

  /** One read of input. */
  push(chunk: Buffer): void {
    if (this.dead) return;
    this.stats.bytesIn += chunk.length;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.stats.lines++;
    if (this.tee) {
      try {
        writeAllSync(1, chunk);
      } catch (err) {
        // The copy is a convenience: a closed stdout must not stop the log.
        this.tee = false;
        this.hooks.warn(`--tee: unable to write to stdout: ${djbErrorText(err instanceof WriteFailure ? err.error : err)}; copy stopped`);
      }
    }
    const { framer } = this;
    framer.push(chunk, this.stamp === null ? null : this.stamp(Date.now()));
    if (this.o.flushInterval === 0 || this.stopping) framer.flush();
    else if (this.flushTimer === null && framer.pending > 0) {
      this.flushTimer = setTimeout(() => { this.flushTimer = null; framer.flush(); }, this.o.flushInterval);
    }
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
    this.guard(() => this.sink.reopen());
  }

  /** ALRM: a new file now (at the next line boundary). */
  rotate(): void {
    this.framer.flush();
    this.sink.requestRotation();
    this.guard(() => this.sink.tick(false));
  }

  /** Lets go of timers and the directory lock without writing anything more (after finished or fatal). */
  dispose(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.lockFd >= 0) fs.closeSync(this.lockFd);
    this.lockFd = -1;
  }

  private die(msg: string): false {
    this.dead = true;
    this.hooks.pauseInput();
    this.dispose();
    this.hooks.fatal(msg);
    return false;
  }

  private deliver(bytes: Buffer): void {
    if (this.failing) { this.queue.push(Buffer.from(bytes)); return; }
    try {
      this.sink.write(bytes);
      this.stats.bytesOut += bytes.length;
    } catch (err) {
      if (!(err instanceof WriteFailure)) throw err;
      this.stats.bytesOut += err.written;
      this.queue.push(Buffer.from(bytes.subarray(err.written)));
      this.fail(err.error);
    }
  }

  private fail(cause: unknown): void {
    this.stats.writeErrors++;
    this.stats.lastError = `unable to write to ${this.o.logDir ?? 'stdout'}: ${djbErrorText(cause)}`;
    this.failing = true;
    this.hooks.pauseInput();
    if (this.o.onWriteError === 'exit') {
      this.die(`unable to write: ${djbErrorText(cause)}; exiting (--on-write-error exit)`);
      return;
    }
    this.hooks.warn(`${this.stats.lastError}; pausing for ${this.o.retryInterval} ms`);
    const timer = setTimeout(() => { this.timers.splice(this.timers.indexOf(timer), 1); this.retry(); }, this.o.retryInterval);
    this.timers.push(timer);
  }

  private retry(): void {
    const { queue, sink, stats } = this;
    while (queue.length) {
      const head = queue[0]!;
      try {
        sink.write(head);
      } catch (err) {
        const written = err instanceof WriteFailure ? err.written : 0;
        stats.bytesOut += written;
        queue[0] = head.subarray(written);
        this.fail(err instanceof WriteFailure ? err.error : err);
        return;
      }
      stats.bytesOut += head.length;
      queue.shift();
    }
    this.failing = false;
    if (!this.guard(() => sink.tick(this.o.createEmpty))) return;
    if (this.stopping) this.finish();
    else this.hooks.resumeInput();
  }

  /** Runs a sink action outside the data path; a failure enters the retry loop. */
  private guard(action: () => void): boolean {
    if (this.failing || this.dead) return false;
    try {
      action();
      return true;
    } catch (err) {
      this.fail(err instanceof WriteFailure ? err.error : err);
      return false;
    }
  }

  private finish(): void {
    this.hooks.pauseInput();
    this.framer.flush();
    if (this.failing || this.dead) return; // retry() calls finish() once everything is written
    if (!this.guard(() => this.sink.close())) return;
    this.dead = true;
    this.dispose();
    this.hooks.finished();
  }
}
