// Pass-through (`--log-dir stdout` or empty, as in relaxlogs) and --tee: blocking writes to a
// descriptor that may have O_NONBLOCK set by whoever shares it; EAGAIN waits instead of failing,
// which gives the reader back-pressure.
import fs from 'node:fs';
import { WriteFailure } from './rotating-file.ts';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `buf` to `fd`, waiting out EAGAIN; throws WriteFailure with the bytes written. */
export function writeAllSync(fd: number, buf: Buffer): void {
  let off = 0;
  try {
    while (off < buf.length) {
      try {
        off += fs.writeSync(fd, buf, off, buf.length - off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  } catch (err) {
    throw new WriteFailure(err, off);
  }
}

/** The sink of pass-through mode: no files, so no rotation, link, purge or fsync. */
export class StdoutSink {
  constructor(private readonly fd = 1) {}
  write(buf: Buffer): void { writeAllSync(this.fd, buf); }
  probeMidLine(): boolean { return false; }
  tick(): void {}
  requestRotation(): void {}
  purge(): void {}
  sync(): void {}
  reopen(): void {}
  close(): void {}
  readonly nextBoundary = Infinity;
  readonly active = null;
}
