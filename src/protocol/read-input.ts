// Reading stdin without buffering ahead. A pipe, FIFO or socket is read through libuv's poll loop
// into one reused 64 KiB buffer (net.Socket `onread`): each read is handed over, and written,
// before the next read(2), so kill -9 can lose at most one read. This also copes with O_NONBLOCK,
// which a previous Node reader killed by SIGKILL leaves set on a shared pipe. A terminal goes through
// libuv's tty handle: a blocking fs.read on it would hold a threadpool thread and make process.exit
// hang. Regular files, which poll cannot watch, are read with fs.read in a loop.
// node:net (with node:stream behind it, ~2 ms a start) is used only for a pipe and node:tty (which
// loads node:net) only for a terminal: the lean bundles load a built-in on its first use
// (scripts/build.mjs), so a file or /dev/null on stdin loads neither.
import fs from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';

export interface Input {
  pause(): void;
  resume(): void;
  /** From now on, read at most `n` bytes at a time (multilog reads byte by byte after TERM so that
   * nothing past the end of the last line is taken from the pipe; a terminal ignores it). */
  limitReads(n: number): void;
}

export interface InputHandlers {
  data(chunk: Buffer): void;
  end(): void;
  error(err: Error): void;
}

/** The largest read, and every read unless limitReads says less. */
export const READ_SIZE = 64 * 1024;

/** Linux's character major 1 is the memory devices (/dev/null, /dev/zero, /dev/full, /dev/urandom, ...), never
 * a terminal: known without node:tty. glibc's dev_t keeps the major in bits 8-19 and 44-63. */
function isMemoryDevice(st: fs.Stats): boolean {
  return Math.floor(st.rdev / 256) % 4096 === 1 && st.rdev < 2 ** 44;
}
/**
 * How often an empty pipe is tried again in limited reads: soon after data, then less often while it
 * stays empty (a sabo at a share below 256 kB/s, idle upstream, would otherwise wake 100 times a second).
 */
const POLL_MS = 10;
const POLL_MAX_MS = 100;

export function readInput(fd: number, h: InputHandlers): Input {
  const st = fs.fstatSync(fd);
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  let readSize = READ_SIZE;
  if (st.isFIFO() || st.isSocket()) {
    // `onread` works on net.Socket since Node 12 but @types/node only declares it for connect().
    const options = {
      fd, readable: true, writable: false,
      onread: { buffer, callback: (n: number, buf: Uint8Array) => { h.data(Buffer.from(buf.buffer, buf.byteOffset, n)); } },
    } as net.SocketConstructorOpts;
    const socket = new net.Socket(options);
    socket.on('end', () => h.end());
    socket.on('error', (err) => h.error(err));
    // Limited reads leave the socket, whose next read's buffer is already chosen, for reads of our
    // own on the (non-blocking) descriptor, polled while it is empty.
    let byHand = false;
    let pollMs = POLL_MS;
    let paused = false;
    let scheduled = false;
    const readByHand = (): void => {
      scheduled = false;
      if (paused) return;
      let n: number;
      try {
        n = fs.readSync(fd, buffer, 0, readSize, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') { h.error(err as Error); return; }
        scheduled = true;
        setTimeout(readByHand, pollMs);
        pollMs = Math.min(pollMs * 2, POLL_MAX_MS);
        return;
      }
      pollMs = POLL_MS;
      if (n === 0) { h.end(); return; }
      h.data(buffer.subarray(0, n));
      scheduled = true;
      setImmediate(readByHand);
    };
    return {
      pause: () => { paused = true; socket.pause(); },
      resume: () => {
        paused = false;
        if (!byHand) socket.resume();
        else if (!scheduled) readByHand();
      },
      limitReads: (n: number) => {
        readSize = Math.max(1, Math.min(n, READ_SIZE));
        if (byHand) return;
        byHand = true;
        socket.pause();
        if (!paused && !scheduled) { scheduled = true; setImmediate(readByHand); }
      },
    };
  }
  if (st.isCharacterDevice() && !isMemoryDevice(st) && tty.isatty(fd)) {
    const stream = new tty.ReadStream(fd);
    stream.on('data', (chunk: Buffer) => h.data(chunk));
    stream.on('end', () => h.end());
    stream.on('error', (err) => h.error(err));
    return { pause: () => stream.pause(), resume: () => stream.resume(), limitReads: () => {} };
  }
  // /dev/null, /dev/zero and /dev/full answer a read at once: read in place (between turns of the event
  // loop), which spares starting libuv's thread pool (~1 ms a start). A file may sit on a disk that hangs.
  const answersAtOnce = st.isCharacterDevice() && isMemoryDevice(st) && [3, 5, 7].includes(st.rdev % 256);
  let paused = false;
  let reading = false;
  const next = (): void => {
    if (paused || reading) return;
    reading = true;
    const done = (err: Error | null, n: number): void => {
      reading = false;
      if (err) { h.error(err); return; }
      if (n === 0) { h.end(); return; }
      h.data(buffer.subarray(0, n));
      next();
    };
    if (!answersAtOnce) { fs.read(fd, buffer, 0, readSize, null, done); return; }
    setImmediate(() => {
      let n: number;
      try { n = fs.readSync(fd, buffer, 0, readSize, null); } catch (err) { done(err as Error, 0); return; }
      done(null, n);
    });
  };
  // The first read waits for the caller's own turn to end: a limitReads right after readInput (sabo
  // --stop-after 10) must bound it, or it would take from the file what the next reader is owed.
  queueMicrotask(next);
  return {
    pause: () => { paused = true; },
    resume: () => { paused = false; next(); },
    limitReads: (n: number) => { readSize = Math.max(1, Math.min(n, READ_SIZE)); },
  };
}
