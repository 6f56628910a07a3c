// One automatically rotated log directory, laid out as daemontools 0.76's multilog lays it out:
// `current` (mode 644 while written, 744 once complete), `@TAI64N.s` (complete) and `@TAI64N.u`
// (left by a crash) old files, `state`, `lock` (flock), and `previous`/`processed`/`newstate` while a
// processor runs.
//
// Where a file is cut matters to whoever reads these files, so the cut follows daemontools' own rule
// on daemontools' own write sizes: it writes through a 512-byte buffer that is flushed before each
// read of input, and once `current` is within 2,000 bytes of the size limit, it cuts each write at
// its last newline and rotates after the first write that ends one. This class keeps that buffer as
// arithmetic only (`pending`, `size`) and writes whole reads at once; a rotation point found by the
// arithmetic splits the real write. Every failing step warns and is retried after a pause, in order,
// without losing or repeating a byte; meanwhile the directory reports itself busy so the caller stops
// reading (back-pressure), as daemontools blocks.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { djbErrorText } from '../protocol/errors.ts';
import { tryFlockSync } from '../protocol/flock.ts';
import { encodeTai64n, type Timestamp } from '../protocol/tai64n.ts';

/** A log directory that cannot be taken at start (daemontools exits 111 with this message). */
export class MultilogFatal extends Error {}

export interface LogDirOptions {
  /** As written in the script (`./main`): the name messages use. */
  name: string;
  /** Where it is (the name resolved against the base directory). */
  path: string;
  /** `s`: bytes in `current` that make it full. */
  size: number;
  /** `n`: old files kept, plus `current`. */
  num: number;
  /** `!`: shell command run on each full file, or null. */
  processor: string | null;
  now: () => Timestamp;
  warn: (message: string) => void;
  /** Between retries of a failing step (daemontools: 5 s). */
  pauseMs: number;
  /** Called when the directory, busy after a failure or a processor, has caught up. */
  onIdle: () => void;
}

/** A step of the directory's work; a returned string (or a promise of one) is a failure to warn about. */
interface Step {
  /** Warning on an exception, before the error text. */
  failure: string;
  run: () => void | string | Promise<string | undefined>;
}
type Work = { bytes: Buffer; offset: number } | { steps: Step[]; index: number };

const NL = 10;
/** daemontools' output buffer for each directory. */
const OUTPUT_BUFFER = 512;
/** Within this many bytes of the size limit, files end at a newline. */
const NEAR_FULL = 2000;
const EXECUTE = 0o100;
const { O_WRONLY, O_RDONLY, O_APPEND, O_CREAT, O_TRUNC, O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
/** djb's open_append and open_trunc. */
// O_NOFOLLOW, unlike daemontools: a link planted in the log directory is never written through (doc/security.md).
const APPEND = O_WRONLY | O_NONBLOCK | O_APPEND | O_CREAT | O_NOFOLLOW;
const TRUNC = O_WRONLY | O_NONBLOCK | O_TRUNC | O_CREAT | O_NOFOLLOW;

export class LogDirectory {
  /** The current line goes to this directory (set by the line's actions). */
  selected = true;
  private fd = -1;
  private readonly lockFd: number;
  /** Bytes daemontools would hold in its output buffer. */
  private pending = 0;
  /** Bytes daemontools would have written to `current`. */
  private size = 0;
  /** Stream offset up to which daemontools would have written. */
  private written = 0;
  /** Output not yet handed to the file: stream offsets [base, base + used). */
  private out = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  private base = 0;
  /** Bytes of `out` already handed over. */
  private handed = 0;
  private readonly work: Work[] = [];
  private waiting = false;
  /** Why writeBytes stopped short. */
  private lastError: unknown = null;

  constructor(private readonly o: LogDirOptions) {
    try { fs.mkdirSync(o.path, { mode: 0o700 }); } catch { /* exists, or the open below says why */ }
    try {
      fs.closeSync(fs.openSync(o.path, O_RDONLY | O_DIRECTORY));
    } catch (err) {
      throw new MultilogFatal(`unable to open directory ${o.name}: ${djbErrorText(err)}`);
    }
    let lockFd = -1;
    try {
      lockFd = fs.openSync(this.file('lock'), APPEND, 0o600);
      if (!tryFlockSync(lockFd)) throw Object.assign(new Error('lock busy'), { code: 'EAGAIN' });
    } catch (err) {
      if (lockFd >= 0) fs.closeSync(lockFd);
      throw new MultilogFatal(`unable to lock directory ${o.name}: ${djbErrorText(err)}`);
    }
    this.lockFd = lockFd;
    try {
      this.restart();
    } catch (err) {
      fs.closeSync(lockFd);
      if (this.fd >= 0) fs.closeSync(this.fd);
      throw err;
    }
  }

  private file(name: string): string {
    return path.join(this.o.path, name);
  }

  /** Start-up: append to a `current` marked complete, or recover what a crash left and start anew. */
  private restart(): void {
    const fatal = (what: string, err: unknown): never => { throw new MultilogFatal(`${what}: ${djbErrorText(err)}`); };
    const current = this.statIfAny('current', fatal);
    if (current && current.mode & EXECUTE) {
      try {
        this.fd = fs.openSync(this.file('current'), APPEND, 0o600);
      } catch (err) { fatal(`unable to append to ${this.o.name}/current`, err); }
      try { fs.fchmodSync(this.fd, 0o644); } catch (err) { fatal(`unable to set mode of ${this.o.name}/current`, err); }
      this.size = current.size;
      return;
    }
    // A crash: a processor's run is redone from scratch, and what cannot be trusted becomes `.u`.
    fs.rmSync(this.file('state'), { force: true });
    fs.rmSync(this.file('newstate'), { force: true });
    const processed = this.statIfAny('processed', fatal);
    const steps: Step[] = [];
    if (processed && processed.mode & EXECUTE) {
      fs.rmSync(this.file('previous'), { force: true });
      steps.push(...this.finish('processed', 's'));
    } else {
      fs.rmSync(this.file('processed'), { force: true });
      steps.push(...this.finish('previous', 'u'));
    }
    steps.push(...this.finish('current', 'u'));
    steps.push(
      { failure: `unable to write to ${this.o.name}/state, pausing: `, run: () => fs.closeSync(fs.openSync(this.file('state'), TRUNC, 0o644)) },
      ...this.openCurrent(),
    );
    this.schedule({ steps, index: 0 });
  }

  private statIfAny(name: string, fatal: (what: string, err: unknown) => never): fs.Stats | null {
    try {
      return fs.statSync(this.file(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      return fatal(`unable to stat ${this.o.name}/${name}`, err);
    }
  }

  private openCurrent(): Step[] {
    return [
      { failure: `unable to create ${this.o.name}/current, pausing: `, run: () => { this.fd = fs.openSync(this.file('current'), APPEND, 0o600); } },
      { failure: `unable to set mode of ${this.o.name}/current, pausing: `, run: () => fs.fchmodSync(this.fd, 0o644) },
    ];
  }

  // ---- The output stream and daemontools' write sizes --------------------------------------------

  /** Adds `src[start, end)` to the output (then call put or putc to account for it). */
  append(src: Buffer, start: number, end: number): void {
    const len = end - start;
    if (this.used + len > this.out.length) this.makeRoom(len);
    src.copy(this.out, this.used, start, end);
    this.used += len;
  }

  appendNewline(): void {
    if (this.used === this.out.length) this.makeRoom(1);
    this.out[this.used++] = NL;
  }

  /** Hands over what is already decided (everything daemontools would have written), then grows. */
  private makeRoom(len: number): void {
    this.handOver(this.written);
    const keep = this.handed;
    this.out.copy(this.out, 0, keep, this.used);
    this.used -= keep;
    this.base += keep;
    this.handed = 0;
    if (this.used + len > this.out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.used + len));
      this.out.copy(bigger, 0, 0, this.used);
      this.out = bigger;
    }
  }

  /** daemontools' buffer_put of `len` bytes (a line's first 1,000 bytes). */
  put(len: number): void {
    if (len > OUTPUT_BUFFER - this.pending) {
      this.writeOut(this.pending);
      this.pending = 0;
      if (len > OUTPUT_BUFFER) {
        this.writeOut(len);
        return;
      }
    }
    this.pending += len;
  }

  /** daemontools' buffer_PUTC, `count` times (the rest of a long line, a newline). */
  putc(count: number): void {
    while (count > 0) {
      if (this.pending === OUTPUT_BUFFER) {
        this.writeOut(OUTPUT_BUFFER);
        this.pending = 0;
      }
      const take = Math.min(count, OUTPUT_BUFFER - this.pending);
      this.pending += take;
      count -= take;
    }
  }

  /** Before each read of input daemontools flushes its buffer. */
  readBoundary(): void {
    this.writeOut(this.pending);
    this.pending = 0;
  }

  /** End of a read: all output so far goes to the file. */
  endOfRead(): void {
    this.readBoundary();
    this.handOver(this.written);
    this.base = this.written;
    this.used = 0;
    this.handed = 0;
  }

  /** daemontools' write of the next `len` bytes of output, as its c_write cuts and rotates it. */
  private writeOut(len: number): void {
    const limit = this.o.size;
    if (this.size + len < limit - NEAR_FULL) {
      this.size += len;
      this.written += len;
      return;
    }
    let at = this.written;
    const end = at + len;
    while (at < end) {
      if (this.size >= limit) this.cut(at);
      let n = Math.min(end - at, limit - this.size);
      if (this.size + n >= limit - NEAR_FULL) {
        const nl = this.out.lastIndexOf(NL, at + n - 1 - this.base);
        if (nl >= at - this.base) n = nl + this.base + 1 - at;
      }
      at += n;
      this.size += n;
      if (this.size >= limit - NEAR_FULL && this.out[at - 1 - this.base] === NL) this.cut(at);
    }
    this.written = end;
  }

  /** Rotates at stream offset `at`. */
  private cut(at: number): void {
    this.handOver(at);
    this.size = 0;
    this.schedule({ steps: this.fullCurrent(), index: 0 });
  }

  /** ALRM: a non-empty `current` is full now (at a read boundary, where nothing is buffered). */
  forceRotation(): void {
    if (this.size > 0) this.cut(this.written);
  }

  /** Output up to stream offset `upTo` goes to `current` (now, or after the work queued before it). */
  private handOver(upTo: number): void {
    const from = this.handed;
    const to = upTo - this.base;
    if (to <= from) return;
    this.handed = to;
    if (this.work.length === 0 && !this.waiting) {
      const offset = this.writeBytes(this.out, from, to);
      if (offset < to) this.pause(`unable to write to ${this.o.name}/current, pausing: `, this.lastError, { bytes: Buffer.from(this.out.subarray(offset, to)), offset: 0 });
      return;
    }
    this.work.push({ bytes: Buffer.from(this.out.subarray(from, to)), offset: 0 });
  }

  /** Writes buf[from, to); returns how far it got (the error in lastError). */
  private writeBytes(buf: Buffer, from: number, to: number): number {
    try {
      while (from < to) from += fs.writeSync(this.fd, buf, from, to - from);
    } catch (err) {
      this.lastError = err;
    }
    return from;
  }

  // ---- Rotation ----------------------------------------------------------------------------------

  /** `current` is full: to disk, renamed `previous`, a new `current`, then processed or finished. */
  private fullCurrent(): Step[] {
    const n = this.o.name;
    const steps: Step[] = [
      { failure: `unable to write ${n}/current to disk, pausing: `, run: () => fs.fsyncSync(this.fd) },
      { failure: '', run: () => { fs.closeSync(this.fd); this.fd = -1; } },
      { failure: `unable to rename current to previous in directory ${n}, pausing: `, run: () => fs.renameSync(this.file('current'), this.file('previous')) },
      ...this.openCurrent(),
      { failure: `unable to set mode of ${n}/previous, pausing: `, run: () => fs.chmodSync(this.file('previous'), 0o744) },
    ];
    if (this.o.processor === null) return [...steps, ...this.finish('previous', 's')];
    return [
      ...steps,
      { failure: '', run: () => this.runProcessor(this.o.processor!) },
      ...this.completeFile('processed', 0o744),
      ...this.completeFile('newstate', null),
      { failure: `unable to remove ${n}/previous, pausing: `, run: () => fs.unlinkSync(this.file('previous')) },
      { failure: `unable to rename newstate to state in directory ${n}, pausing: `, run: () => fs.renameSync(this.file('newstate'), this.file('state')) },
      ...this.finish('processed', 's'),
    ];
  }

  /** Creates `name` if the processor did not, syncs it and, for `processed`, marks it complete. */
  private completeFile(name: string, mode: number | null): Step[] {
    const n = this.o.name;
    let fd = -1;
    const steps: Step[] = [
      { failure: `unable to create ${n}/${name}, pausing: `, run: () => { fd = fs.openSync(this.file(name), APPEND, 0o600); } },
      { failure: `unable to write ${n}/${name} to disk, pausing: `, run: () => fs.fsyncSync(fd) },
    ];
    if (mode !== null) steps.push({ failure: `unable to set mode of ${n}/${name}, pausing: `, run: () => fs.fchmodSync(fd, mode) });
    steps.push({ failure: '', run: () => fs.closeSync(fd) });
    return steps;
  }

  /** `sh -c PROCESSOR` in the directory: `previous` on stdin, `processed` on stdout, `state` on fd 4,
   * `newstate` on fd 5; resolves to a warning unless it exited 0. */
  private runProcessor(processor: string): Promise<string | undefined> {
    const n = this.o.name;
    return new Promise((resolve) => {
      const fds: number[] = [];
      try {
        fds.push(fs.openSync(this.file('previous'), O_RDONLY | O_NONBLOCK));
        fds.push(fs.openSync(this.file('processed'), TRUNC, 0o644));
        fds.push(fs.openSync(this.file('state'), O_RDONLY | O_NONBLOCK));
        fds.push(fs.openSync(this.file('newstate'), TRUNC, 0o644));
      } catch (err) {
        for (const fd of fds) fs.closeSync(fd);
        this.o.warn(`unable to run ${processor}: ${djbErrorText(err)}`);
        resolve(`processor failed in ${n}, pausing`);
        return;
      }
      const [previous, processed, state, newstate] = fds as [number, number, number, number];
      const child = spawn('/bin/sh', ['-c', processor], { cwd: this.o.path, stdio: [previous, processed, 'inherit', 'ignore', state, newstate] });
      for (const fd of fds) fs.closeSync(fd);
      child.on('error', (err) => resolve(`unable to run ${processor}: ${djbErrorText(err)}`));
      child.on('exit', (code, signal) => {
        if (signal !== null) resolve(`processor crashed in ${n}, pausing: killed by ${signal}`);
        else resolve(code === 0 ? undefined : `processor failed in ${n}, pausing`);
      });
    });
  }

  /** daemontools' finish: `name` becomes `@TAI64N.code` (unless already linked), then old files go. */
  private finish(name: string, code: 's' | 'u'): Step[] {
    const n = this.o.name;
    let linked = true;
    let absent = false;
    const stamp = Buffer.alloc(12);
    return [
      {
        failure: `unable to stat ${n}/${name}, pausing: `,
        run: () => {
          try {
            linked = fs.statSync(this.file(name)).nlink > 1;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
            absent = true;
          }
        },
      },
      {
        failure: '',
        run: () => {
          if (absent || linked) return undefined;
          const target = `@${encodeTai64n(this.o.now(), stamp).toString('hex')}.${code}`;
          try {
            fs.linkSync(this.file(name), this.file(target));
          } catch (err) {
            return `unable to link to ${n}/${target}, pausing: ${djbErrorText(err)}`;
          }
          return undefined;
        },
      },
      { failure: `unable to remove ${n}/${name}, pausing: `, run: () => { if (!absent) fs.unlinkSync(this.file(name)); } },
      { failure: `unable to read ${n}, pausing: `, run: () => { if (!absent) this.removeOldFiles(); } },
    ];
  }

  /** While `num` or more old files exist, removes the one with the smallest timestamp. */
  private removeOldFiles(): void {
    for (;;) {
      const old = fs.readdirSync(this.o.path).filter((f) => f[0] === '@' && f.length >= 25);
      if (old.length < this.o.num) return;
      let oldest = old[0]!.slice(0, 25);
      for (const f of old) if (f.slice(0, 25) < oldest) oldest = f.slice(0, 25);
      fs.unlinkSync(this.file(old.find((f) => f.startsWith(oldest))!));
    }
  }

  // ---- Running the work in order -----------------------------------------------------------------

  private schedule(work: Work): void {
    this.work.push(work);
    if (this.work.length === 1 && !this.waiting) this.run();
  }

  /** Whether everything handed over is done (no failure being retried, no processor running). */
  get idle(): boolean {
    return this.work.length === 0 && !this.waiting;
  }

  private run(): boolean {
    while (this.work.length > 0) {
      if (this.waiting) return false;
      const w = this.work[0]!;
      if ('bytes' in w) {
        w.offset = this.writeBytes(w.bytes, w.offset, w.bytes.length);
        if (w.offset < w.bytes.length) {
          this.pause(`unable to write to ${this.o.name}/current, pausing: `, this.lastError);
          return false;
        }
      } else if (!this.runSteps(w)) {
        return false;
      }
      this.work.shift();
    }
    return true;
  }

  private runSteps(w: { steps: Step[]; index: number }): boolean {
    while (w.index < w.steps.length) {
      const step = w.steps[w.index]!;
      let result: ReturnType<Step['run']>;
      try {
        result = step.run();
      } catch (err) {
        this.pause(step.failure, err);
        return false;
      }
      if (result instanceof Promise) {
        this.waiting = true;
        void result.then((failure) => {
          this.waiting = false;
          if (failure !== undefined) {
            this.pause(failure, null);
            return;
          }
          w.index++;
          this.resume();
        });
        return false;
      }
      if (typeof result === 'string') {
        this.pause(result, null);
        return false;
      }
      w.index++;
    }
    return true;
  }

  /** Warns and retries after the pause; `first` is queued ahead of everything else. */
  private pause(failure: string, err: unknown, first?: Work): void {
    if (first) this.work.unshift(first);
    this.o.warn(err === null ? failure : `${failure}${djbErrorText(err)}`);
    this.waiting = true;
    setTimeout(() => {
      this.waiting = false;
      this.resume();
    }, this.o.pauseMs);
  }

  private resume(): void {
    if (this.run()) this.o.onIdle();
  }

  /** End: the rest of the output, `current` to disk and marked complete (744), the lock released;
   * done once `idle` (onIdle tells when that comes later). */
  close(): void {
    this.endOfRead();
    const n = this.o.name;
    this.schedule({
      steps: [
        { failure: `unable to write ${n}/current to disk, pausing: `, run: () => fs.fsyncSync(this.fd) },
        { failure: `unable to set mode of ${n}/current, pausing: `, run: () => fs.fchmodSync(this.fd, 0o744) },
        { failure: '', run: () => { fs.closeSync(this.fd); this.fd = -1; fs.closeSync(this.lockFd); } },
      ],
      index: 0,
    });
  }
}
