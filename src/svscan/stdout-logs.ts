// svscan --log-stdout (doc/svscan.md): the container norm, every service's output on svscan's stdout,
// for services that have no log/ directory. Each line is prefixed with the service's name
// (`memcached: ...`).
//
// S's stdout and stderr are an O_RDWR open of S/supervise/log.fifo (the name log-pipe.ts uses when S
// has a logger): S is its own reader, so when svscan dies (kill -9) S never gets SIGPIPE; it blocks
// once the pipe is full, and the next svscan, adopting S, reads on. svscan reads the fifo through
// protocol/fifo.ts's non-blocking reader (never fs.createReadStream on a fifo). Only whole lines
// reach stdout, each service's in one piece: lines of concurrent services never mix, a partial last
// line waits for its end (or for the stop, or is cut at MAX_LINE). While stdout does not keep up,
// every reader pauses: the services wait on their full pipes, svscan's memory stays bounded.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Socket } from 'node:net';
import { djbErrorText } from '../protocol/errors.ts';
import { openFifoReader, type FifoReader } from '../protocol/fifo.ts';
import { writeAllSync } from '../protocol/write-all.ts';
import { Framer } from '../relaxlogs/framer.ts';
import type { StdioForStart } from '../supervise/worker.ts';
import type { Logger } from './diagnostics.ts';
import { logFifoPath } from './log-pipe.ts';
import type { ServiceEvent } from './scanner.ts';

/** A line longer than this is cut into pieces of it (each prefixed), so that a line-less stream cannot hold memory. */
export const MAX_LINE = 16 * 1024;
const NL = 0x0a;
/** At stop, how long the last lines may take to reach a slow stdout before svscan exits anyway. */
const FINAL_DRAIN_MS = 2000;

/** Where the lines go: svscan's fd 1, non-blocking when it is a pipe, which gives back-pressure. */
interface Sink {
  /** False when the sink is backed up: stop reading until `onDrain`. */
  write(bytes: Buffer): boolean;
  onDrain(listener: () => void): void;
  /** Resolves once what was written has left svscan (or after `timeoutMs`). */
  end(timeoutMs: number): Promise<void>;
}

function openSink(log: Logger): Sink {
  let failed = false;
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    log.error({ err: djbErrorText(err) }, `unable to write services' output to svscan's stdout: ${djbErrorText(err)}; their lines are dropped from now on (services keep running)`);
  };
  if (fstatSync(1).isFIFO()) {
    // Our own open file description of the pipe, so that O_NONBLOCK is not set on the one that
    // loggers and services share (a C program takes EAGAIN for an error).
    const socket = new Socket({ fd: openSync('/proc/self/fd/1', constants.O_WRONLY | constants.O_NONBLOCK), readable: false, writable: true });
    socket.on('error', fail);
    return {
      write: (bytes) => (failed ? true : socket.write(Buffer.from(bytes))),
      onDrain: (listener) => socket.on('drain', listener),
      end: (timeoutMs) => new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        socket.end(() => { clearTimeout(timer); resolve(); });
      }),
    };
  }
  // A file, a terminal or a socket: short synchronous writes, as svscan's own messages on stderr.
  return {
    write: (bytes) => {
      if (!failed) {
        try {
          writeAllSync(1, bytes);
        } catch (err) {
          fail(err);
        }
      }
      return true;
    },
    onDrain: () => {},
    end: () => Promise.resolve(),
  };
}

class ServiceOutput {
  private readonly label: Buffer;
  private carry: Buffer = Buffer.alloc(0);
  constructor(name: string, readonly reader: FifoReader, private readonly framer: Framer) {
    this.label = Buffer.from(`${name}: `);
  }

  /** Frames the whole lines of `chunk`; keeps a partial last line for later (cut at MAX_LINE). */
  push(chunk: Buffer): void {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = data.lastIndexOf(NL) + 1;
    if (end > 0) this.framer.push(data.subarray(0, end), this.label);
    const rest = data.subarray(end);
    if (rest.length >= MAX_LINE) {
      this.framer.push(rest, this.label);
      this.framer.endLine();
      this.carry = Buffer.alloc(0);
    } else {
      this.carry = Buffer.from(rest); // a copy: `data` may be a reused read buffer
    }
    this.framer.flush();
  }

  /** The partial last line, ended with a newline. */
  flushPartial(): void {
    if (this.carry.length === 0) return;
    this.framer.push(this.carry, this.label);
    this.framer.endLine();
    this.carry = Buffer.alloc(0);
    this.framer.flush();
  }
}

export class StdoutLogs {
  private readonly sink: Sink;
  private readonly framer: Framer;
  private readonly outputs = new Map<string, ServiceOutput>();
  private backedUp = false;

  constructor(private readonly log: Logger) {
    this.sink = openSink(log);
    // One framer for all: each push is framed and flushed whole before the next service's.
    this.framer = new Framer({ maxLine: MAX_LINE, longLines: 'split', bufferSize: 64 * 1024 }, (bytes) => {
      if (!this.sink.write(bytes) && !this.backedUp) {
        this.backedUp = true;
        for (const output of this.outputs.values()) output.reader.socket.pause();
      }
    });
    this.sink.onDrain(() => {
      this.backedUp = false;
      for (const output of this.outputs.values()) output.reader.socket.resume();
    });
  }

  /** stdio for a start of the service `name` in `dir`: stdout and stderr into its fifo, read by us. */
  stdioFor(name: string, dir: string): StdioForStart | undefined {
    const path = logFifoPath(dir);
    try {
      // Synchronous (a ~2 ms spawn, once per service): a start's stdio is chosen synchronously.
      execFileSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' });
    } catch {
      // Already there (as after an earlier start), or the open below says why not.
    }
    let fd: number;
    try {
      this.attach(name, dir);
      fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW); // doc/security.md
    } catch (err) {
      this.log.error({ service: name, path }, `unable to open ${path} for --log-stdout: ${djbErrorText(err)}; ${name} writes to svscan's own stdout meanwhile`);
      return undefined;
    }
    return { stdio: ['inherit', fd, fd], close: [fd] };
  }

  /** Reads the fifo of `dir` (also for an adopted service, which may be blocked on it). */
  attach(name: string, dir: string): void {
    if (this.outputs.has(dir)) return;
    const reader = openFifoReader(logFifoPath(dir));
    const output = new ServiceOutput(name, reader, this.framer);
    reader.socket.on('data', (chunk: Buffer) => output.push(chunk));
    reader.socket.on('error', (err) => this.log.warn({ service: name }, `unable to read ${logFifoPath(dir)}: ${djbErrorText(err)}`));
    if (this.backedUp) reader.socket.pause();
    this.outputs.set(dir, output);
  }

  /** An adopted service without a logger may be writing into the fifo an earlier svscan gave it. */
  onServiceEvent(e: ServiceEvent): void {
    if (e.which !== 'main' || e.event.type !== 'adopt') return;
    if (statSync(join(e.dir, 'log'), { throwIfNoEntry: false }) || !statSync(logFifoPath(e.dir), { throwIfNoEntry: false })?.isFIFO()) return;
    try {
      this.attach(e.name, e.dir);
    } catch (err) {
      this.log.error({ service: e.name }, `unable to read ${logFifoPath(e.dir)} of the adopted ${e.name}: ${djbErrorText(err)}; it may block once its pipe is full: restart it (svc -t)`);
    }
  }

  /** At svscan's stop, once every service is down: what is left unread, partial lines ended. */
  async close(): Promise<void> {
    for (const [dir, output] of this.outputs) {
      output.reader.socket.removeAllListeners('data');
      let chunk: Buffer | null;
      while ((chunk = output.reader.socket.read() as Buffer | null) !== null) output.push(chunk);
      drainFifo(logFifoPath(dir), (bytes) => output.push(bytes));
      output.flushPartial();
      output.reader.close();
    }
    this.outputs.clear();
    await this.sink.end(FINAL_DRAIN_MS);
  }
}

/** Reads what is in the fifo at `path` now, without waiting for more. */
function drainFifo(path: string, onChunk: (bytes: Buffer) => void): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return;
  }
  const buffer = Buffer.allocUnsafe(64 * 1024);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n <= 0) break;
      onChunk(buffer.subarray(0, n));
    }
  } catch {
    // EAGAIN: nothing more now.
  } finally {
    closeSync(fd);
  }
}
