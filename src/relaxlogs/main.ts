// The logger's main loop: stdin -> framer -> rotating file, with the signals, timers, lock and
// write-error back-pressure around it. The data path never waits on anything but write(2); the
// diagnostics go to stderr through pino.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { tryFlockSync } from '../protocol/flock.ts';
import { djbErrorText } from '../protocol/errors.ts';
import { AfterClose } from './after-close.ts';
import { Framer, type LongLines } from './framer.ts';
import { readInput, type Input, type InputHandlers } from './input.ts';
import { Periods } from './period.ts';
import { makeDirectory, RotatingFile, SYSTEM_CLOCK, WriteFailure, type FsyncMode } from './rotating-file.ts';
import { StdoutSink, writeAllSync } from './stdout-sink.ts';
import { Strftime } from './strftime.ts';
import { makeStamper } from './timestamp.ts';
import { UsageError } from './units.ts';
import type { Zone } from './zone.ts';

export const EXIT_OK = 0;
export const EXIT_USAGE = 100;
export const EXIT_TEMPORARY = 111;

export interface LoggerOptions {
  /** null = pass-through to stdout. */
  logDir: string | null;
  rotationTime: number;
  maxAge: number;
  /** null = no labels. */
  timeFormat: string | null;
  pattern: string;
  linkName: string;
  rotationCount: number;
  maxTotalSize: number;
  rotationSize: number;
  zone: Zone;
  createEmpty: boolean;
  purgeInterval: number;
  bufferSize: number;
  flushInterval: number;
  fsync: FsyncMode;
  maxLine: number;
  longLines: LongLines;
  lastLineTimeout: number;
  onWriteError: 'retry' | 'exit';
  retryInterval: number;
  tee: boolean;
  compress: boolean;
  /** '' = none. */
  processor: string;
  fileMode: number;
  dirMode: number;
  lock: boolean;
  readyFd: number | null;
}

type Sink = RotatingFile | StdoutSink;

const FSYNC_INTERVAL = 1000;

/** Validates `o` (throws UsageError before any side effect) and runs until exit. */
export function runLogger(o: LoggerOptions): void {
  const stamp = o.timeFormat === null ? null : makeStamper(o.timeFormat, o.zone);
  const periods = new Periods(o.zone, o.rotationTime, new Strftime(o.pattern, '--pattern'));
  if (o.pattern.includes('/')) throw new UsageError(`--pattern '${o.pattern}': names files inside --log-dir, no '/'`);
  if (o.linkName.includes('/') || o.linkName === 'lock') throw new UsageError(`--link-name '${o.linkName}': a plain name other than 'lock'`);

  const log = pino({ name: 'relaxlogs', base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  const fatal = (msg: string): never => {
    log.fatal(msg);
    process.exit(EXIT_TEMPORARY);
  };

  let sink: Sink;
  if (o.logDir === null) {
    sink = new StdoutSink();
  } else {
    const dir = o.logDir;
    try {
      makeDirectory(dir, o.dirMode);
    } catch (err) {
      fatal(`unable to create directory ${dir}: ${djbErrorText(err)}`);
    }
    if (o.lock) {
      let fd = -1;
      try {
        fd = fs.openSync(path.join(dir, 'lock'), 'a', 0o644);
      } catch (err) {
        fatal(`unable to open ${dir}/lock: ${djbErrorText(err)}`);
      }
      if (!tryFlockSync(fd)) fatal(`unable to lock directory ${dir}: lock busy`);
    }
    const afterClose = new AfterClose({
      compress: o.compress, processor: o.processor, retryInterval: o.retryInterval, warn: (m) => log.warn(m),
    });
    sink = new RotatingFile({
      dir, periods, clock: SYSTEM_CLOCK, linkName: o.linkName, rotationSize: o.rotationSize,
      retention: { maxAge: o.maxAge, count: o.rotationCount, totalSize: o.maxTotalSize },
      fsync: o.fsync, fileMode: o.fileMode, dirMode: o.dirMode,
      onPurged: (names) => log.info({ deleted: names }, 'purged'),
      ...(afterClose.enabled ? { onClosed: (file: string) => afterClose.add(file) } : {}),
    });
    afterClose.recover(dir, sink.own, sink.appendTarget);
  }

  const stats = { bytesIn: 0, bytesOut: 0, writeErrors: 0, startedAt: new Date().toISOString() };
  let input: Input | null = null;
  let stopping = false;
  let failing = false;
  /** Bytes framed but refused by the sink, in order; retried before anything newer. */
  const queue: Buffer[] = [];

  const deliver = (bytes: Buffer): void => {
    if (failing) { queue.push(Buffer.from(bytes)); return; }
    try {
      sink.write(bytes);
      stats.bytesOut += bytes.length;
    } catch (err) {
      if (!(err instanceof WriteFailure)) throw err;
      stats.bytesOut += err.written;
      queue.push(Buffer.from(bytes.subarray(err.written)));
      fail(err.error);
    }
  };

  const fail = (cause: unknown): void => {
    stats.writeErrors++;
    failing = true;
    input?.pause();
    if (o.onWriteError === 'exit') fatal(`unable to write: ${djbErrorText(cause)}; exiting (--on-write-error exit)`);
    log.warn(`unable to write to ${o.logDir ?? 'stdout'}: ${djbErrorText(cause)}; pausing for ${o.retryInterval} ms`);
    setTimeout(retry, o.retryInterval);
  };

  const retry = (): void => {
    while (queue.length) {
      const head = queue[0]!;
      try {
        sink.write(head);
      } catch (err) {
        const written = err instanceof WriteFailure ? err.written : 0;
        stats.bytesOut += written;
        queue[0] = head.subarray(written);
        fail(err instanceof WriteFailure ? err.error : err);
        return;
      }
      stats.bytesOut += head.length;
      queue.shift();
    }
    failing = false;
    if (!guard(() => sink.tick(o.createEmpty))) return;
    if (stopping) finish();
    else input?.resume();
  };

  /** Runs a sink action outside the data path; a failure enters the retry loop. */
  const guard = (action: () => void): boolean => {
    if (failing) return false;
    try {
      action();
      return true;
    } catch (err) {
      fail(err instanceof WriteFailure ? err.error : err);
      return false;
    }
  };

  let flushTimer: NodeJS.Timeout | null = null;
  const framer = new Framer({ maxLine: o.maxLine, longLines: o.longLines, bufferSize: o.bufferSize }, deliver);
  framer.atLineStart = !sink.probeMidLine();

  let exitCode = EXIT_OK;
  const finish = (): void => {
    input?.pause();
    framer.flush();
    if (failing) return; // retry() calls finish() once everything is written
    if (!guard(() => sink.close())) return;
    process.exit(exitCode);
  };

  let tee = o.tee;
  const onData = (chunk: Buffer): void => {
    stats.bytesIn += chunk.length;
    if (tee) {
      try {
        writeAllSync(1, chunk);
      } catch (err) {
        // The copy is a convenience: a closed stdout must not stop the log.
        tee = false;
        log.warn(`--tee: unable to write to stdout: ${djbErrorText(err instanceof WriteFailure ? err.error : err)}; copy stopped`);
      }
    }
    framer.push(chunk, stamp === null ? null : stamp(Date.now()));
    if (o.flushInterval === 0 || stopping) framer.flush();
    else if (flushTimer === null && framer.pending > 0) {
      flushTimer = setTimeout(() => { flushTimer = null; framer.flush(); }, o.flushInterval);
    }
    if (stopping && framer.atLineStart) finish();
  };

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (framer.atLineStart) { finish(); return; }
    // Wait (a bounded time) for the end of the line being written, as multilog and s6-log do.
    setTimeout(() => { framer.endLine(); finish(); }, o.lastLineTimeout).unref();
  };

  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => { framer.flush(); guard(() => sink.reopen()); });
  process.on('SIGALRM', () => { framer.flush(); sink.requestRotation(); guard(() => sink.tick(false)); });
  process.on('SIGUSR1', () => log.info({ ...stats, activeFile: sink.active, failing, queuedBytes: queue.reduce((n, b) => n + b.length, 0) }, 'stats'));
  process.on('SIGPIPE', () => {});
  process.on('uncaughtException', (err) => fatal(`internal error: ${err.stack ?? err.message}`));

  if (o.logDir !== null) {
    setInterval(() => guard(() => sink.purge()), o.purgeInterval || 3_600_000).unref();
    if (o.fsync === 'interval') setInterval(() => guard(() => sink.sync()), FSYNC_INTERVAL).unref();
    // Without input the period still ends: rotate an idle file (and open the next with --create-empty).
    const armBoundary = (): void => {
      const wait = Math.max(100, Math.min(sink.nextBoundary - Date.now(), 3_600_000));
      setTimeout(() => { if (framer.pending === 0) guard(() => sink.tick(o.createEmpty)); armBoundary(); }, wait).unref();
    };
    if (o.createEmpty) guard(() => sink.tick(true));
    armBoundary();
  }

  const inputHandlers: InputHandlers = {
    data: onData,
    end: () => { stopping = true; framer.endLine(); finish(); },
    error: (err) => {
      log.error(`unable to read input: ${djbErrorText(err)}`);
      exitCode = EXIT_TEMPORARY;
      stopping = true;
      framer.endLine();
      finish();
    },
  };
  try {
    input = readInput(0, inputHandlers);
  } catch (err) {
    fatal(`unable to read input: ${djbErrorText(err)}`);
  }

  if (o.readyFd !== null) {
    try {
      fs.writeSync(o.readyFd, '\n');
      fs.closeSync(o.readyFd);
    } catch (err) {
      log.warn(`unable to notify readiness on fd ${o.readyFd}: ${djbErrorText(err)}`);
    }
  }
}
