// The pipe between a service S and its logger S/log, which svscan holds for its whole life.
//
// Node has no pipe(2), so the pipe is a named fifo, S/supervise/log.fifo (daemontools' tools ignore
// unknown files in supervise/; a restarted svscan finds it again by name). svscan keeps one fd open
// O_RDWR: that never blocks on Linux, makes the fifo always have a reader (so S never gets SIGPIPE
// while its logger restarts) and a writer (so a logger never sees end-of-file while S restarts).
// svscan never reads from it. Each start gets a fresh open file description:
//   - S's stdout: open(fifo, O_WRONLY)  - does not block, the holder is a reader;
//     O_RDWR instead when svscan's built-in logger (src/logd/) reads the pipe (see serviceStdio);
//   - S/log's stdin: open(fifo, O_RDONLY) - does not block, the holder is a writer
//     (the built-in logger opens its own O_RDONLY|O_NONBLOCK read end in its thread).
// A fresh description per logger start matters: a Node logger sets O_NONBLOCK on its stdin, the flag
// lives on the description and survives kill -9, and a shared description would hand the next logger
// (multilog, say) a non-blocking stdin that it reads as end of input.
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { makeFifo } from '../protocol/fifo.ts';
import type { StdioForStart } from '../supervise/worker.ts';

export const LOG_FIFO_NAME = 'log.fifo';

export function logFifoPath(serviceDir: string): string {
  return join(serviceDir, 'supervise', LOG_FIFO_NAME);
}

export class LogPipe {
  readonly path: string;
  private holderFd: number;

  private constructor(path: string, holderFd: number) {
    this.path = path;
    this.holderFd = holderFd;
  }

  /** Creates (or finds again) the fifo of `serviceDir` and holds it open. */
  static async open(serviceDir: string): Promise<LogPipe> {
    const path = logFifoPath(serviceDir);
    // As the worker makes it (daemontools: 0700); an existing one is fine.
    mkdirSync(join(serviceDir, 'supervise'), { mode: 0o700, recursive: true });
    await makeFifo(path, 0o600);
    // O_NOFOLLOW on every open here: a symlink planted as log.fifo must not lead S's output, or root's
    // open, elsewhere (doc/security.md); the worker's charge makes the fifo 0600.
    return new LogPipe(path, openSync(path, constants.O_RDWR | constants.O_NOFOLLOW));
  }

  get isOpen(): boolean {
    return this.holderFd >= 0;
  }

  /**
   * stdio for one start of S: stdout into the pipe, stdin and stderr as svscan's (daemontools).
   * `readWrite` when svscan's built-in logger reads the pipe: S's own O_RDWR open makes S a reader
   * too, so that after a kill -9 of svscan (no reader left) S blocks on a full pipe instead of dying
   * of SIGPIPE, until the next svscan adopts it and reads on.
   */
  serviceStdio(readWrite = false): StdioForStart {
    if (!this.isOpen) return { stdio: ['inherit', 'inherit', 'inherit'] };
    const fd = openSync(this.path, (readWrite ? constants.O_RDWR : constants.O_WRONLY) | constants.O_NOFOLLOW);
    return { stdio: ['inherit', fd, 'inherit'], close: [fd] };
  }

  /** stdio for one start of S/log: a fresh read end as stdin, stdout and stderr as svscan's. */
  loggerStdio(): StdioForStart {
    if (!this.isOpen) throw Object.assign(new Error('log pipe closed'), { code: 'EBADF' });
    const fd = openSync(this.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    return { stdio: [fd, 'inherit', 'inherit'], close: [fd] };
  }

  /**
   * Lets go of the pipe: once S and everything it started have exited, the logger then reads what is
   * left and gets end-of-file, so it can finish its last lines and exit by itself.
   */
  close(): void {
    if (this.holderFd >= 0) closeSync(this.holderFd);
    this.holderFd = -1;
  }
}
