// The built-in loggers themselves: each reads its fifo and writes with relaxlogs' engine (LogStream)
// or multilog's (MultilogEngine). A LoggerSet runs them for the messages of messages.ts, wherever it
// lives: on svscan's main thread for relaxlogs' engine, whose disk work then runs in libuv's thread
// pool (asyncRunner), or in the worker thread of thread.ts for multilog's engine, which writes
// synchronously; either way a slow or hung disk stalls logging, never supervision.
//
// Each logger reads its fifo through its own O_RDONLY|O_NONBLOCK open wrapped in a net.Socket (never
// fs.createReadStream on a fifo: doc/design.md, "Fifos"). The main thread opens it and passes the fd:
// an fd opened in a worker by fs.openSync would be on the worker's list of fds to close at its exit,
// and the socket closes it behind that list's back (Node then warns "opened in unmanaged mode twice"
// when the number comes again, and could close a reused number at the thread's exit). Every read is
// handed to the engine before the next, and the engine pauses reading while its writes wait, so all
// loggers share one 64 KiB read buffer, and a kill -9 of svscan loses at most the read in hand. While
// writes fail, reading pauses: the producer waits on its full pipe.
import { Socket, type SocketConstructorOpts } from 'node:net';
import { djbErrorText } from '../protocol/errors.ts';
import type { Runner } from '../protocol/io-steps.ts';
import { parseRelaxlogsArgs } from '../relaxlogs/args.ts';
import { LogStream, type LogStreamHooks, type LogStreamStats } from '../relaxlogs/stream.ts';
import type { FromThread, LoggerKind, ToThread } from './messages.ts';
import { MultilogEngine } from './multilog-engine.ts';
import { loudCounter } from '../protocol/v8-compilers.ts';

const READ_SIZE = 64 * 1024;
const sharedReadBuffer = Buffer.allocUnsafe(READ_SIZE);
/** bin/svscan starts V8 with its compilers off; loud loggers turn them on (src/protocol/v8-compilers.ts). */
const countForCompilers = loudCounter();

/** Every logger of one place (the main thread, or the worker thread), by the id the host gave it. */
export class LoggerSet {
  readonly loggers = new Map<number, Logger>();

  private readonly deferred: Logger[] = [];

  /**
   * `framingLater`: on svscan's main thread, a read is only copied in libuv's poll phase and framed
   * in the check phase that follows (setImmediate), so that supervision's events of the same turn
   * (a control byte, a child's exit) come before the framing of loud logs.
   */
  constructor(readonly send: (message: FromThread) => void, readonly runner: Runner, readonly framingLater = false) {}

  /** `logger` has a read waiting to be framed (its reading is paused until then). */
  defer(logger: Logger): void {
    if (this.deferred.push(logger) > 1) return;
    setImmediate(() => { for (const l of this.deferred.splice(0)) l.frameDeferred(); });
  }

  handle(m: ToThread): void {
    if (m.op === 'open') {
      const logger = new Logger(m.id, m.fifo, m.reading, this);
      this.loggers.set(m.id, logger);
      logger.open(m.fd, m.kind, m.words, m.base);
      return;
    }
    const logger = this.loggers.get(m.id);
    if (!logger) {
      if (m.op === 'close') this.send({ op: 'closed', id: m.id });
      return;
    }
    switch (m.op) {
      case 'read': logger.read(m.on); break;
      case 'rotate': logger.rotate(); break;
      case 'reopen': logger.reopen(); break;
      case 'close': logger.close(m.untilEof); break;
    }
  }

  /** Sends the figures that changed since the last report (every STATS_INTERVAL_MS). */
  report(): void {
    const list: { id: number; stats: LogStreamStats }[] = [];
    for (const logger of this.loggers.values()) {
      const stats = logger.stats();
      if (stats) list.push({ id: logger.id, stats });
    }
    if (list.length) this.send({ op: 'stats', list });
  }

  /** Some logger's disk work is still in the thread pool. */
  get working(): boolean {
    for (const logger of this.loggers.values()) if (logger.working) return true;
    return false;
  }
}

/** How often changed figures go to the host (which writes them into status.json). */
export const STATS_INTERVAL_MS = 1000;

class Logger {
  private socket: Socket | undefined;
  private stream: LogStream | MultilogEngine | undefined;
  /** Reading wanted by the operator (svc -u/-d/-p/-c). */
  private wanted: boolean;
  /** The stream holds its input: its disk work waits, or its writes fail (reading waits for the retry). */
  private held = false;
  private closing = false;
  /** A read copied, to be framed in the check phase (LoggerSet.framingLater). */
  private waiting: Buffer | undefined;
  private reported = '';

  constructor(readonly id: number, private readonly fifo: string, reading: boolean, private readonly set: LoggerSet) {
    this.wanted = reading;
  }

  /** `fd`: the fifo's read end, now ours; `words`: the options file's (options-file.ts). */
  open(fd: number, kind: LoggerKind, words: string[], base: string): void {
    // The socket first: from here on, every way out closes the fd through it.
    // `onread` works on net.Socket since Node 12 but @types/node only declares it for connect().
    const socket = new Socket({
      fd, readable: true, writable: false,
      onread: { buffer: sharedReadBuffer, callback: (n: number) => this.onRead(n) },
    } as SocketConstructorOpts);
    socket.pause();
    socket.on('end', () => this.stream?.end());
    socket.on('error', (err) => {
      this.set.send({ op: 'warn', id: this.id, text: `unable to read ${this.fifo}: ${djbErrorText(err)}` });
      this.stream?.end();
    });
    this.socket = socket;
    let logDir: string | null = null;
    const hooks: LogStreamHooks = {
      info: () => { /* purges: visible in the directory itself */ },
      warn: (text) => this.set.send({ op: 'warn', id: this.id, text }),
      pauseInput: () => { this.held = true; this.apply(); },
      resumeInput: () => { this.held = false; this.apply(); },
      fatal: (text) => this.fatal(text),
      finished: () => this.closed(),
      opened: () => { this.apply(); this.set.send({ op: 'opened', id: this.id, logDir }); },
    };
    try {
      if (kind === 'multilog') {
        const engine = new MultilogEngine(words, base, hooks);
        logDir = engine.logDir;
        this.stream = engine;
        if (!engine.isDead) hooks.opened!();
      } else {
        const options = parseRelaxlogsArgs(words);
        options.readyFd = null; // no fd of svscan's is the logger's to write
        logDir = options.logDir;
        this.stream = new LogStream(options, hooks, this.set.runner);
      }
    } catch (err) {
      this.fatal((err as Error).message);
    }
  }

  /** A job of the stream is in the thread pool (a hung disk holds it there). */
  get working(): boolean {
    return this.stream instanceof LogStream && this.stream.working;
  }

  private onRead(n: number): void {
    countForCompilers(n);
    const chunk = sharedReadBuffer.subarray(0, n);
    if (!this.set.framingLater) { this.stream?.push(chunk); return; }
    this.waiting = Buffer.from(chunk); // the read buffer serves every logger
    this.apply();
    this.set.defer(this);
  }

  frameDeferred(): void {
    const chunk = this.waiting;
    this.waiting = undefined;
    if (!chunk || !this.socket) return;
    this.stream?.push(chunk);
    this.apply();
  }

  private apply(): void {
    if (!this.socket) return;
    // While closing, read on to the end of the current line (or of input): the stream stops itself.
    if (!this.held && !this.waiting && (this.wanted || this.closing)) this.socket.resume();
    else this.socket.pause();
  }

  read(on: boolean): void {
    this.wanted = on;
    this.apply();
  }

  rotate(): void { this.stream?.rotate(); }
  reopen(): void { this.stream?.reopen(); }

  close(untilEof: boolean): void {
    if (!this.stream || this.stream.isDead) { this.closed(); return; }
    this.closing = true;
    this.apply();
    if (!untilEof) this.stream.stop();
  }

  stats(): LogStreamStats | undefined {
    const stats = this.stream?.snapshot();
    if (!stats) return undefined;
    const key = JSON.stringify(stats);
    if (key === this.reported) return undefined;
    this.reported = key;
    return stats;
  }

  private fatal(text: string): void {
    this.end(() => this.set.send({ op: 'fatal', id: this.id, text }));
  }

  private closed(): void {
    this.end(() => this.set.send({ op: 'closed', id: this.id }));
  }

  /**
   * Closes our read end (whatever is unread stays in the pipe), then `then`: only once the socket's
   * handle is closed, because the next start may get the same fd number and Node's worker keeps a
   * list of the fds its handles use (it warns "opened in unmanaged mode twice").
   */
  private end(then: () => void): void {
    this.stream?.dispose();
    this.set.loggers.delete(this.id);
    const socket = this.socket;
    this.socket = undefined;
    // At end of input the socket closes itself, and with the disk work in the thread pool the stream
    // finishes after that: its 'close' has been and gone.
    if (!socket || socket.closed) { then(); return; }
    socket.once('close', then);
    socket.destroy();
  }
}

