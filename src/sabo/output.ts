// sabo's stdout. A write never blocks the main thread, which handles the signals: a pipe or socket is
// written without blocking (writeSync first, and when the reader is behind, the rest through a libuv
// handle, which waits for room in the event loop); a regular file, /dev/null or a terminal takes a
// plain writeSync.
import { constants, fstatSync, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';

export interface Output {
  /**
   * Writes all of `buf[start, end)`. Returns true when it all went at once; otherwise false, and
   * `then` is called once the rest has gone, or with the error. `buf` must not change until then.
   * Throws the error of a write made at once (EPIPE among them).
   */
  write(buf: Buffer, start: number, end: number, then: (err?: Error | null) => void): boolean;
}

/** How long a full non-pollable descriptor (a terminal left O_NONBLOCK) is left before trying again. */
const RETRY_MS = 10;

/** What `writeSync` took: 0 for EAGAIN, when a non-blocking descriptor is full. */
function writeNow(fd: number, buf: Buffer, start: number, end: number): number {
  try {
    return writeSync(fd, buf, start, end - start);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
    throw err;
  }
}

export function openOutput(fd: number): Output {
  const st = fstatSync(fd);
  let rest: (chunk: Buffer, then: (err?: Error | null) => void) => void;
  if (st.isFIFO() || st.isSocket()) {
    // A pipe gets an open file description of our own, non-blocking, so that O_NONBLOCK is not left
    // on the one it shares with whoever writes to it after sabo (a C program takes EAGAIN for an
    // error). A socket cannot be reopened: the handle makes it non-blocking (Node restores stdio's
    // flags at exit).
    let own = fd;
    try {
      own = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch { /* a socket, no /proc, or no reader left (the write will say EPIPE) */ }
    const socket = new Socket({ fd: own, readable: false, writable: true });
    socket.on('error', () => { /* given to the write's callback */ });
    fd = own;
    rest = (chunk, then) => socket.write(chunk, then);
  } else {
    rest = (chunk, then) => setTimeout(() => {
      try {
        if (output.write(chunk, 0, chunk.length, then)) then();
      } catch (err) {
        then(err as Error);
      }
    }, RETRY_MS);
  }
  const output: Output = {
    write(buf, start, end, then) {
      const n = writeNow(fd, buf, start, end);
      if (n === end - start) return true;
      rest(buf.subarray(start + n, end), then);
      return false;
    },
  };
  return output;
}
