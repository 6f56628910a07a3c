// Writing a whole buffer to a descriptor that may be non-blocking (a fifo opened O_NONBLOCK, a pipe a
// Node process left O_NONBLOCK): wait out EAGAIN, which gives the reader back-pressure, instead of
// spinning or losing the rest.
import { writeSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `data` to `fd`, sleeping `pauseMs` whenever it is full. Any other error is thrown
 * with `bytesWritten` set to what had been written before it.
 */
export function writeAllSync(fd: number, data: Buffer, pauseMs = 5): void {
  for (let off = 0; off < data.length;) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw Object.assign(e as Error, { bytesWritten: off });
      Atomics.wait(sleeper, 0, 0, pauseMs);
    }
  }
}
