// The rotation core: one O_APPEND file per period (generations `.1`, `.2`... for size rotation and
// ALRM), a relative link swapped atomically, fsync before a file is closed, purge after a new file
// opens. A rotation only ever happens at a line boundary, so a line never spans two files.
// Every method that touches the disk is steps (src/protocol/io-steps.ts), run by the stream either at
// once or in libuv's thread pool; either way, the stream hands over the next read only once a write's
// steps are done, which is what lets a kill -9 lose at most the one read being handled. Errors are
// thrown with `written` set to the bytes that did reach the file, so the caller can retry the rest
// without duplicating anything.
import fs from 'node:fs';
import path from 'node:path';
import { call, io, type Steps } from '../protocol/io-steps.ts';
import { makeDirectory, makingDirectory } from '../protocol/make-directory.ts';
import type { Periods } from './period.ts';
import { ownFileRegex, purge, type Retention } from './purge.ts';

// stream.ts creates --log-dir with the same function.
export { makeDirectory };

export type FsyncMode = 'rotate' | 'interval' | 'always' | 'never';

export interface Clock { now(): number }
export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

export interface RotatingFileOptions {
  dir: string;
  periods: Periods;
  clock: Clock;
  /** Link name in `dir`, or '' for none. */
  linkName: string;
  /** Bytes per file before a new generation; 0 = unlimited. */
  rotationSize: number;
  retention: Retention;
  fsync: FsyncMode;
  fileMode: number;
  dirMode: number;
  /** Told about each file closed after a rotation (compression, processor). */
  onClosed?: (file: string) => void;
  onPurged?: (names: string[]) => void;
}

export class WriteFailure extends Error {
  constructor(readonly error: unknown, readonly written: number) {
    super((error as Error)?.message ?? String(error));
  }
}

const NL = 10;

export class RotatingFile {
  private fd = -1;
  /** Current file name in dir (with generation suffix). */
  active: string | null = null;
  private periodName = '';
  private generation = 0;
  private size = 0;
  private nextCheck = 0;
  /** The period changed (or ALRM asked for a new file): rotate at the next line boundary. */
  private rotateDue = false;
  /** ALRM: the next file is a new generation even while idle. */
  private forced = false;
  /** The last byte written to the active file is not a newline. */
  midLine = false;
  private unsynced = false;
  /** A file was opened: point the link at it and purge, once the pending bytes are written. */
  private unsettled = false;
  readonly own: RegExp;

  constructor(private readonly o: RotatingFileOptions) {
    this.own = ownFileRegex(o.periods.pattern.regexSource());
  }

  /** Whether the file this run would append to ends inside a line (a previous run died mid-line). */
  *probeMidLine(): Steps<boolean> {
    const { name } = this.o.periods.at(this.o.clock.now());
    const file = path.join(this.o.dir, (yield* this.lastGeneration(name)).file);
    try {
      const fd = yield* call(io.open(file, fs.constants.O_RDONLY));
      try {
        const { size } = yield* call(io.fstat(fd));
        if (size === 0) return false;
        const b = Buffer.alloc(1);
        yield* call(io.read(fd, b, 0, 1, size - 1));
        return b[0] !== NL;
      } finally { yield* call(io.close(fd)); }
    } catch { return false; }
  }

  *write(buf: Buffer): Steps {
    let off = 0;
    try {
      while (off < buf.length) {
        const now = this.o.clock.now();
        if (now >= this.nextCheck) this.checkPeriod(now);
        if (this.fd < 0) { yield* this.open(now); continue; }
        if (!this.midLine && (this.rotateDue || (this.o.rotationSize > 0 && this.size >= this.o.rotationSize))) {
          yield* this.rotate(now);
          continue;
        }
        const n = this.writable(buf, off);
        let left = n;
        while (left > 0) {
          const w = yield* call(io.write(this.fd, buf, off, left));
          off += w;
          left -= w;
          this.size += w;
          this.midLine = buf[off - 1] !== NL;
          this.unsynced = true;
        }
        if (this.o.fsync === 'always') yield* this.sync();
      }
      yield* this.settle();
    } catch (err) {
      throw new WriteFailure(err, off);
    }
  }

  /** Link and purge come after the write: the bytes just read are the ones a crash would lose. */
  private *settle(): Steps {
    if (!this.unsettled || !this.active) return;
    this.unsettled = false;
    yield* this.link(this.active);
    yield* this.purge();
  }

  /** How many bytes from `off` go into the active file before a rotation point. */
  private writable(buf: Buffer, off: number): number {
    const all = buf.length - off;
    if (this.rotateDue) {
      // Finish the current line here; the next one goes to the new file.
      const nl = buf.indexOf(NL, off);
      return nl < 0 ? all : nl + 1 - off;
    }
    const limit = this.o.rotationSize;
    if (limit === 0 || this.size + all <= limit) return all;
    if (this.midLine) {
      const nl = buf.indexOf(NL, off);
      return nl < 0 ? all : nl + 1 - off;
    }
    const room = Math.max(limit - this.size, 1);
    const last = buf.lastIndexOf(NL, off + room - 1);
    if (last >= off) return last + 1 - off;
    if (this.size > 0) {
      this.rotateDue = true;
      return 0;
    }
    // One line longer than a whole file: it stays whole.
    const nl = buf.indexOf(NL, off);
    return nl < 0 ? all : nl + 1 - off;
  }

  private checkPeriod(now: number): void {
    const p = this.o.periods.at(now);
    this.nextCheck = p.nextCheck;
    if (this.fd >= 0 && p.name !== this.periodName) this.rotateDue = true;
  }

  /** The instant at which the current period may end: when an idle file is rotated or closed. */
  get nextBoundary(): number {
    return this.nextCheck;
  }

  /** ALRM: a new file at the next line boundary (a new generation when the period is the same). */
  requestRotation(): void {
    this.rotateDue = true;
    this.forced = true;
  }

  /** Timers and ALRM while idle: rotate now if due and at a line boundary; `create` opens a file
   * even without input (--create-empty). */
  *tick(create: boolean): Steps {
    const now = this.o.clock.now();
    if (now >= this.nextCheck) this.checkPeriod(now);
    if (this.fd < 0) {
      if (create) yield* this.open(now);
    } else if (this.rotateDue && !this.midLine) {
      // Lazy by default: an idle period's file is synced and closed, the next one opens with input.
      if (create || this.forced) yield* this.rotate(now);
      else yield* this.closeFile(true);
    }
    yield* this.settle();
  }

  private *rotate(now: number): Steps {
    const sameName = this.o.periods.at(now).name === this.periodName;
    yield* this.closeFile(true);
    yield* this.open(now, sameName ? this.generation + 1 : -1);
  }

  /** Opens the file for `now`: the given generation, or the last existing one of the period. */
  private *open(now: number, generation = -1): Steps {
    const p = this.o.periods.at(now);
    this.nextCheck = p.nextCheck;
    // Recreated on every open: a removed directory comes back at the next retry.
    yield* makingDirectory(this.o.dir, this.o.dirMode);
    const g = generation >= 0 ? { generation, file: generationFile(p.name, generation) } : yield* this.lastGeneration(p.name);
    const fd = yield* call(io.open(path.join(this.o.dir, g.file), fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, this.o.fileMode)); // no planted link: doc/security.md
    this.fd = fd;
    this.periodName = p.name;
    this.generation = g.generation;
    this.active = g.file;
    this.size = (yield* call(io.fstat(fd))).size;
    this.rotateDue = false;
    this.forced = false;
    this.unsettled = true;
  }

  /** The generation to append to: the highest existing one, or the next if that one was already
   * compressed (appending to FILE while FILE.gz exists would later clobber FILE.gz). */
  private *lastGeneration(name: string): Steps<{ generation: number; file: string }> {
    let generation = 0;
    let compressed = false;
    const prefix = `${name}.`;
    let entries: string[] = [];
    try { entries = yield* call(io.readdir(this.o.dir)); } catch { /* created at open */ }
    for (const e of entries) {
      if (e !== name && !e.startsWith(prefix)) continue;
      const m = /^(?:\.(\d+))?(\.gz)?$/.exec(e.slice(name.length));
      if (!m) continue;
      const g = Number(m[1] ?? 0);
      if (g > generation) { generation = g; compressed = false; }
      if (g === generation) compressed = m[2] !== undefined && !entries.includes(generationFile(name, g));
    }
    if (compressed) generation++;
    return { generation, file: generationFile(name, generation) };
  }

  /** The file this run would append to now (kept out of start-up compression). */
  *appendTarget(): Steps<string> {
    return (yield* this.lastGeneration(this.o.periods.at(this.o.clock.now()).name)).file;
  }

  /** Points the link at `target`: a fresh temporary link renamed over it, so it is never missing. */
  private *link(target: string): Steps {
    if (!this.o.linkName) return;
    const linkPath = path.join(this.o.dir, this.o.linkName);
    try { if ((yield* call(io.readlink(linkPath))) === target) return; } catch { /* absent or not a link */ }
    const tmp = `${linkPath}.new`;
    // A leftover from a crash is ours and harmless: replace it (relaxlogs' stale `_lock` wedged it).
    yield* call(io.removeIfPresent(tmp));
    yield* call(io.symlink(target, tmp));
    yield* call(io.rename(tmp, linkPath));
  }

  /** Retention pass; also run on a timer. Never fails the write path. */
  *purge(now = this.o.clock.now()): Steps {
    try {
      const deleted = yield* purge(this.o.dir, this.own, this.active, this.o.retention, now);
      if (deleted.length) this.o.onPurged?.(deleted);
    } catch { /* directory gone: the next open recreates it */ }
  }

  *sync(): Steps {
    if (this.fd >= 0 && this.unsynced) {
      yield* call(io.fsync(this.fd));
      this.unsynced = false;
    }
  }

  private *closeFile(rotated: boolean): Steps {
    if (this.fd < 0) return;
    if (this.o.fsync !== 'never') yield* this.sync();
    const fd = this.fd;
    this.fd = -1;
    yield* call(io.close(fd));
    if (rotated && this.active) this.o.onClosed?.(path.join(this.o.dir, this.active));
  }

  /** HUP: close and open the period's file again (recreating a deleted file and the link). */
  *reopen(): Steps {
    yield* this.closeFile(false);
    yield* this.open(this.o.clock.now());
    yield* this.settle();
  }

  /** Exit: fsync (unless --fsync never) and close. */
  *close(): Steps {
    yield* this.closeFile(false);
  }
}

function generationFile(name: string, generation: number): string {
  return generation === 0 ? name : `${name}.${generation}`;
}
