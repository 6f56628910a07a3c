// Named pipes the way supervise uses them. Node has no mkfifo(3) and no non-blocking fifo streams;
// doc/design.md (Fifos) says why each step is done this way.
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { Socket } from 'node:net';

// O_NOFOLLOW on every open: a symlink planted where a fifo belongs must not make root open (and hold,
// or write commands into) whatever it points to (doc/security.md).
const { O_RDONLY, O_WRONLY } = constants;
const NONBLOCK_NOFOLLOW = constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** Creates a fifo with `mode` unless one exists already (mkfifo(1): Node core cannot). */
export function makeFifo(path: string, mode = 0o600): Promise<void> {
  return makeFifos([path], mode);
}

const isFifo = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isFIFO() === true;

/**
 * Creates every missing fifo of `paths` with one mkfifo(1) run (a spawn costs milliseconds in a large
 * process). A failure names the first path that is still not a fifo, in the error's `path`.
 */
export async function makeFifos(paths: string[], mode = 0o600): Promise<void> {
  const missing = paths.filter((path) => !isFifo(path));
  if (missing.length === 0) return;
  await new Promise<void>((resolve, reject) => {
    execFile('mkfifo', ['-m', mode.toString(8), ...missing], (err, _out, stderr) => {
      const failed = missing.find((path) => !isFifo(path));
      if (failed === undefined) return resolve(); // made, or lost a harmless race to another maker
      const reason = stderr.split('\n').find((line) => line.includes(failed))?.trim() || err?.message || 'not a fifo';
      reject(Object.assign(new Error(`mkfifo ${failed}: ${reason}`), { path: failed }));
    });
  });
}

export interface FifoReader {
  /** Delivers what writers write; never ends while this reader is open. */
  socket: Socket;
  close(): void;
}

/**
 * Opens a fifo for reading without parking a threadpool thread: non-blocking, wrapped in a socket,
 * and with a writer of our own held open so that the reader never sees end-of-file between clients.
 */
export function openFifoReader(path: string): FifoReader {
  const fd = openSync(path, O_RDONLY | NONBLOCK_NOFOLLOW);
  let writerFd: number;
  try {
    writerFd = openSync(path, O_WRONLY | NONBLOCK_NOFOLLOW);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const socket = new Socket({ fd, readable: true, writable: false });
  return {
    socket,
    close() {
      socket.destroy();
      closeSync(writerFd);
    },
  };
}

/**
 * Holds a fifo open for reading and never reads it: the daemontools `ok` convention, where a client
 * that can open the fifo for writing knows that a supervise is alive. Returns the fd to close later.
 */
export function holdFifoOpen(path: string): number {
  return openSync(path, O_RDONLY | NONBLOCK_NOFOLLOW);
}

/**
 * Opens a fifo for writing without blocking. Throws ENXIO when nobody holds it open for reading,
 * which for `supervise/ok` and `supervise/control` means supervise is not running.
 */
export function openFifoWriter(path: string): number {
  return openSync(path, O_WRONLY | NONBLOCK_NOFOLLOW);
}
