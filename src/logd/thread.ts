// svscan's logger thread: every built-in logger's fifo reading and file writing, in one worker thread,
// so that a slow or hung disk (relaxlogs' engine writes synchronously) stalls logging, never
// supervision. Bundled alone as dist/svscan-logger.cjs (scripts/build.mjs); svscan's main thread
// (host.ts) drives it with the messages of messages.ts.
//
// Each logger reads its fifo through its own O_RDONLY|O_NONBLOCK open wrapped in a net.Socket (never
// fs.createReadStream on a fifo: doc/design.md, "Fifos"). The main thread opens it and passes the fd:
// an fd opened here by fs.openSync would be on the worker's list of fds to close at its exit, and
// the socket closes it behind that list's back (Node then warns "opened in unmanaged mode twice"
// when the number comes again, and could close a reused number at the thread's exit). Every read is framed and written before the
// callback returns, so all loggers share one 64 KiB read buffer, and a kill -9 of svscan loses at most
// the read in hand. While writes fail, reading pauses: the producer waits on its full pipe.
import { Socket, type SocketConstructorOpts } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { djbErrorText } from '../protocol/errors.ts';
import { parseRelaxlogsArgs } from '../relaxlogs/args.ts';
import { LogStream, type LogStreamHooks, type LogStreamStats } from '../relaxlogs/stream.ts';
import type { FromThread, LoggerKind, ToThread } from './messages.ts';
import { MultilogEngine } from './multilog-engine.ts';

const READ_SIZE = 64 * 1024;
/**
 * bin/svscan turns V8's compilers off (an idle svscan is ~6 MB smaller), which leaves the framing and
 * labelling of log lines interpreted: 0.65x s6-log's throughput. Once the loggers have carried this
 * much in one second, the compilers are turned on for good (V8 flags are process-wide): ~10 MB more,
 * and 2.2x s6-log (bench/logging.bench.mjs). An idle or quiet host never pays it.
 */
const LOUD_BYTES_PER_SECOND = 8 * 1024 * 1024;
let bytesThisSecond = 0;
let compiling = false;
function counted(n: number): void {
  bytesThisSecond += n;
  if (compiling || bytesThisSecond < LOUD_BYTES_PER_SECOND) return;
  compiling = true;
  for (const flag of ['--sparkplug', '--maglev', '--opt']) setFlagsFromString(flag);
}
/** How often changed figures go to the main thread (which writes them into status.json). */
const STATS_INTERVAL_MS = 1000;

const port = parentPort!;
const shared = Buffer.allocUnsafe(READ_SIZE);
const send = (message: FromThread): void => port.postMessage(message);

class Logger {
  private socket: Socket | undefined;
  private stream: LogStream | MultilogEngine | undefined;
  /** Reading wanted by the operator (svc -u/-d/-p/-c). */
  private wanted: boolean;
  /** Writes are failing: reading waits for the retry to succeed. */
  private held = false;
  private closing = false;
  private reported = '';

  constructor(readonly id: number, private readonly fifo: string, reading: boolean) {
    this.wanted = reading;
  }

  /** `fd`: the fifo's read end, now ours; `words`: the options file's (options-file.ts). */
  open(fd: number, kind: LoggerKind, words: string[], base: string): void {
    // The socket first: from here on, every way out closes the fd through it.
    // `onread` works on net.Socket since Node 12 but @types/node only declares it for connect().
    const socket = new Socket({
      fd, readable: true, writable: false,
      onread: { buffer: shared, callback: (n: number) => { counted(n); this.stream?.push(shared.subarray(0, n)); } },
    } as SocketConstructorOpts);
    socket.pause();
    socket.on('end', () => this.stream?.end());
    socket.on('error', (err) => {
      send({ op: 'warn', id: this.id, text: `unable to read ${this.fifo}: ${djbErrorText(err)}` });
      this.stream?.end();
    });
    this.socket = socket;
    const hooks: LogStreamHooks = {
      info: () => { /* purges: visible in the directory itself */ },
      warn: (text) => send({ op: 'warn', id: this.id, text }),
      pauseInput: () => { this.held = true; this.apply(); },
      resumeInput: () => { this.held = false; this.apply(); },
      fatal: (text) => this.fatal(text),
      finished: () => this.closed(),
    };
    let logDir: string | null;
    try {
      if (kind === 'multilog') {
        const engine = new MultilogEngine(words, base, hooks);
        logDir = engine.logDir;
        this.stream = engine;
      } else {
        const options = parseRelaxlogsArgs(words);
        options.readyFd = null; // no fd of svscan's is the logger's to write
        logDir = options.logDir;
        this.stream = new LogStream(options, hooks);
      }
    } catch (err) {
      this.fatal((err as Error).message);
      return;
    }
    if (this.stream.isDead) return;
    this.apply();
    send({ op: 'opened', id: this.id, logDir });
  }

  private apply(): void {
    if (!this.socket) return;
    // While closing, read on to the end of the current line (or of input): the stream stops itself.
    if (!this.held && (this.wanted || this.closing)) this.socket.resume();
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
    this.end(() => send({ op: 'fatal', id: this.id, text }));
  }

  private closed(): void {
    this.end(() => send({ op: 'closed', id: this.id }));
  }

  /**
   * Closes our read end (whatever is unread stays in the pipe), then `then`: only once the socket's
   * handle is closed, because the next start may get the same fd number and Node's worker keeps a
   * list of the fds its handles use (it warns "opened in unmanaged mode twice").
   */
  private end(then: () => void): void {
    this.stream?.dispose();
    loggers.delete(this.id);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) { then(); return; }
    socket.once('close', then);
    socket.destroy();
  }
}

const loggers = new Map<number, Logger>();

port.on('message', (m: ToThread) => {
  if (m.op === 'open') {
    const logger = new Logger(m.id, m.fifo, m.reading);
    loggers.set(m.id, logger);
    logger.open(m.fd, m.kind, m.words, m.base);
    return;
  }
  const logger = loggers.get(m.id);
  if (!logger) {
    if (m.op === 'close') send({ op: 'closed', id: m.id });
    return;
  }
  switch (m.op) {
    case 'read': logger.read(m.on); break;
    case 'rotate': logger.rotate(); break;
    case 'reopen': logger.reopen(); break;
    case 'close': logger.close(m.untilEof); break;
  }
});

setInterval(() => {
  bytesThisSecond = 0;
  const list: { id: number; stats: LogStreamStats }[] = [];
  for (const logger of loggers.values()) {
    const stats = logger.stats();
    if (stats) list.push({ id: logger.id, stats });
  }
  if (list.length) send({ op: 'stats', list });
}, STATS_INTERVAL_MS).unref();
