// Writing a whole buffer to a descriptor that may be non-blocking (a fifo opened O_NONBLOCK, a pipe a
// Node process left O_NONBLOCK): wait out EAGAIN, which gives the reader back-pressure, instead of
// spinning or losing the rest.
import { call, io, runSync, type Steps } from './io-steps.ts';

/**
 * Writes all of `data` to `fd`, sleeping `pauseMs` whenever it is full. Any other error is thrown
 * with `bytesWritten` set to what had been written before it.
 */
export function writeAllSync(fd: number, data: Buffer, pauseMs = 5): void {
  runSync(writingAll(fd, data, pauseMs));
}

/** The same as steps (src/protocol/io-steps.ts): the pause is a timer when run asynchronously. */
export function* writingAll(fd: number, data: Buffer, pauseMs = 5): Steps {
  for (let off = 0; off < data.length;) {
    try {
      off += yield* call(io.write(fd, data, off, data.length - off));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw Object.assign(e as Error, { bytesWritten: off });
      yield* call(io.sleep(pauseMs));
    }
  }
}
