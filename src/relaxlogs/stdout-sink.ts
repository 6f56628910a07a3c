// Pass-through (`--log-dir stdout` or empty, as in relaxlogs) and --tee: writes to a descriptor that
// may have O_NONBLOCK set by whoever shares it; EAGAIN waits instead of failing, which gives the
// reader back-pressure.
import type { Steps } from '../protocol/io-steps.ts';
import { writingAll } from '../protocol/write-all.ts';
import { WriteFailure } from './rotating-file.ts';

/** Writes all of `buf` to `fd`, waiting out EAGAIN; throws WriteFailure with the bytes written. */
export function* writingAllOrFailure(fd: number, buf: Buffer): Steps {
  try {
    yield* writingAll(fd, buf, 1);
  } catch (err) {
    throw new WriteFailure(err, (err as { bytesWritten?: number }).bytesWritten ?? 0);
  }
}

/** The sink of pass-through mode: no files, so no rotation, link, purge or fsync. */
export class StdoutSink {
  constructor(private readonly fd = 1) {}
  *write(buf: Buffer): Steps { yield* writingAllOrFailure(this.fd, buf); }
  *probeMidLine(): Steps<boolean> { return false; }
  *tick(): Steps { /* nothing to rotate */ }
  requestRotation(): void {}
  *purge(): Steps { /* nothing to purge */ }
  *sync(): Steps { /* nothing to sync */ }
  *reopen(): Steps { /* nothing to reopen */ }
  *close(): Steps { /* stdout stays open */ }
  readonly nextBoundary = Infinity;
  readonly active = null;
}
