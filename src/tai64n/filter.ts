// The stdin-to-stdout loop both programs share. Synchronous on purpose: a filter has nothing else to
// do while it waits, a blocking read() returns the moment data arrives (tai64n labels that moment),
// and all of one read goes out in one write before the next read, which is when daemontools flushes
// too (its read function flushes the output buffer first): a line is never held back waiting for
// more input.
import { readSync } from 'node:fs';
import { writeAllSync } from '../protocol/write-all.ts';
import { errorCode } from '../protocol/errors.ts';
// A read or write error exits 111 silently, as daemontools' tai64n and tai64nlocal.
import { EXIT_FAILURE } from '../protocol/exit-codes.ts';

/** Pipes deliver at most 64 KiB a read; files fill the whole buffer. */
const READ_SIZE = 1 << 20;

export interface Transform {
  /** Output for `chunk` (valid only during the call); may be empty, and is reused by the next call. */
  chunk(chunk: Buffer): Buffer;
  /** Output at end of input. */
  end(): Buffer;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Reads fd 0 until end of file through `t` into fd 1, then exits; never returns. */
export function runFilter(t: Transform): never {
  const buf = Buffer.allocUnsafe(READ_SIZE);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(0, buf, 0, READ_SIZE, null);
      } catch (e) {
        // A descriptor another process left non-blocking: wait for data instead of failing.
        if (errorCode(e) === 'EAGAIN') {
          Atomics.wait(sleeper, 0, 0, 2);
          continue;
        }
        throw e;
      }
      const out = n === 0 ? t.end() : t.chunk(buf.subarray(0, n));
      if (out.length) writeAllSync(1, out);
      if (n === 0) process.exit(0);
    }
  } catch (e) {
    if (errorCode(e) === 'EPIPE') dieOfSigpipe();
    process.exit(EXIT_FAILURE);
  }
}

/**
 * A reader that went away kills daemontools' programs with SIGPIPE (the default disposition shells
 * and Node's spawn give them), which pipelines and `set -o pipefail` see as 141. Node ignores
 * SIGPIPE; adding and removing a listener puts the default back (libuv restores SIG_DFL), so the
 * signal can be raised for real.
 */
function dieOfSigpipe(): never {
  const ignore = () => {};
  process.on('SIGPIPE', ignore);
  process.off('SIGPIPE', ignore);
  process.kill(process.pid, 'SIGPIPE');
  // The signal may land on another of Node's threads: give it a moment to end the process.
  Atomics.wait(sleeper, 0, 0, 200);
  process.exit(EXIT_FAILURE);
}
