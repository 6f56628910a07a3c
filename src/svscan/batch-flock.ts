// flock(2) for many service locks at once. Node has no flock; the worker's default runs flock(1) once
// per lock (a Node spawn each, ~3-10 ms from a large process). When a thousand services appear, svscan
// instead hands up to 128 lock fds to one small shell that runs flock(1) on each: the same real
// flock(2) on the same open file descriptions (see ../protocol/flock.ts), a fraction of the spawns.
import { spawn } from 'node:child_process';
import { FlockUnavailableError } from '../protocol/flock.ts';

const BATCH = 128;

interface Request {
  fd: number;
  /** Fifos to create (mode 0600) in the same shell, before the lock is tried. */
  fifos: string[];
  resolve: (locked: boolean) => void;
  reject: (err: Error) => void;
}

export class BatchFlock {
  private pending: Request[] = [];
  private scheduled = false;

  /**
   * Resolves true when the lock on `fd` is now ours, false when another description holds it. The
   * missing `fifos` are made by the same shell first (mkfifo(1) once for the whole batch), which saves
   * the supervise worker two more spawns: a new service starts in two spawns, not four.
   */
  tryLock(fd: number, fifos: string[] = []): Promise<boolean> {
    return new Promise((resolve, reject) => this.enqueue({ fd, fifos, resolve, reject }));
  }

  private enqueue(request: Request): void {
    this.pending.push(request);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length) this.run(this.pending.splice(0, BATCH));
  }

  private run(batch: Request[]): void {
    const numbers = batch.map((_, i) => i + 3).join(' ');
    // One status per line, in order: 0 locked, 1 busy, anything else an error.
    // The fifo paths are the shell's arguments ("$@"), never part of the script text.
    const script = `[ $# -gt 0 ] && mkfifo -m 600 -- "$@" 2>/dev/null; for fd in ${numbers}; do flock --nonblock --exclusive $fd; echo $?; done`;
    const fifos = batch.flatMap((r) => r.fifos);
    const fail = (err: Error) => { for (const r of batch) r.reject(err); };
    let child;
    try {
      child = spawn('sh', ['-c', script, 'sh', ...fifos], { stdio: ['ignore', 'pipe', 'pipe', ...batch.map((r) => r.fd)] });
    } catch (err) {
      fail(new FlockUnavailableError((err as Error).message));
      return;
    }
    let out = '';
    let errText = '';
    // No pipes when svscan is out of file descriptors (EMFILE): the 'error' below then rejects the batch.
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { errText += d; });
    child.on('error', (err) => fail(new FlockUnavailableError(err.message)));
    child.on('close', () => {
      const codes = out.trim().split('\n');
      batch.forEach((r, i) => {
        const code = codes[i];
        if (code === '0') r.resolve(true);
        else if (code === '1') r.resolve(false);
        else r.reject(new FlockUnavailableError(errText.trim() || `flock exit ${code ?? 'missing'}`));
      });
    });
  }
}
