// Pass-through (`--log-dir stdout` or empty, as in relaxlogs) and --tee: blocking writes to a
// descriptor that may have O_NONBLOCK set by whoever shares it; EAGAIN waits instead of failing,
// which gives the reader back-pressure.
import { writeAllSync as writeAll } from '../protocol/write-all.ts';
import { WriteFailure } from './rotating-file.ts';

/** Writes all of `buf` to `fd`, waiting out EAGAIN; throws WriteFailure with the bytes written. */
export function writeAllSync(fd: number, buf: Buffer): void {
  try {
    writeAll(fd, buf, 1);
  } catch (err) {
    throw new WriteFailure(err, (err as { bytesWritten?: number }).bytesWritten ?? 0);
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
