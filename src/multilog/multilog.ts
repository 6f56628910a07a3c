// The script interpreter: input chunks in, lines through the script's actions, out to log directories,
// status files and stderr. Independent of the process (no stdin, signals or exit), so that svscan can
// host one per service; src/multilog/main.ts is the standalone program around it.
//
// Lines are handled as daemontools 0.76's multilog handles them: the first 1,000 bytes of a line
// (label included) are what patterns, `e` and `=` see; the whole line goes to the directories; a last
// line without a newline gets one at the end of input. Every line is labelled with the time of the
// read its first byte came in (daemontools reads 1 KiB at a time and stamps each line as it reaches
// it). The input is seen as daemontools reads it, in 1,024-byte reads, so that each directory's
// rotation points are daemontools' (see log-dir.ts).
import fs from 'node:fs';
import path from 'node:path';
import { djbErrorText } from '../protocol/errors.ts';
import { encodeTai64n, type Timestamp } from '../protocol/tai64n.ts';
import { writeAllSync } from '../protocol/write-all.ts';
import { taiaNow } from '../tai64n/clock.ts';
import { LogDirectory, MultilogFatal } from './log-dir.ts';
import { matches } from './match.ts';
import type { Action, MultilogScript } from './script.ts';

export { MultilogFatal } from './log-dir.ts';

export interface MultilogOptions {
  /** Relative directories and status files of the script are resolved against it (default: cwd). */
  baseDir?: string;
  /** A warning (without program prefix); default: `multilog: warning: ...` on stderr. */
  warn?: (message: string) => void;
  /** The `e` action's output; default: stderr. */
  stderr?: (bytes: Buffer) => void;
  /** Called when the writer, busy after push() returned false, can take input again. */
  onDrain?: () => void;
  now?: () => Timestamp;
  /** Between retries of a failing write, rename, processor... (daemontools: 5 s). */
  pauseMs?: number;
}

const NL = 10;
/** What patterns, `e` and `=` see of a line. */
const LINE_MAX = 1000;
/** daemontools' read size. */
const READ = 1024;
const LABEL = 26;
/** `e` shows this much of a line. */
const STDERR_MAX = 200;
const PAUSE_MS = 5000;

interface StatusFile { name: string; fd: number; line: Buffer; dirty: boolean }

export class Multilog {
  private readonly dirs: LogDirectory[] = [];
  /** Per action: its directory or status file. */
  private readonly targets: (LogDirectory | StatusFile | null)[] = [];
  private readonly statuses: StatusFile[] = [];
  /** No selection, `e` or `=`: every line goes to every directory and nobody looks at it. */
  private readonly plain: boolean;
  private readonly labelLength: number;
  private readonly label = Buffer.alloc(LABEL);
  private readonly stamp = Buffer.alloc(12);
  /** The current line's first 1,000 bytes, padded with newlines (what `=` writes). */
  private readonly line = Buffer.alloc(LINE_MAX + 1, NL);
  private lineLength = 0;
  private inLine = false;
  /** The line's first 1,000 bytes have gone out; its rest streams. */
  private streaming = false;
  /** Input offset (in the current chunk) of the next 1 KiB read boundary. */
  private nextRead = READ;
  private stderrOut: Buffer[] = [];
  private statusTimer: NodeJS.Timeout | null = null;
  private busy = false;
  private ending: (() => void) | null = null;
  private readonly warn: (message: string) => void;
  private readonly now: () => Timestamp;
  private readonly pauseMs: number;

  /** Opens the status files, then takes and recovers each directory, in script order; a
   * MultilogFatal says which could not be (daemontools exits 111 there). */
  constructor(private readonly script: MultilogScript, private readonly o: MultilogOptions = {}) {
    const base = o.baseDir ?? process.cwd();
    this.warn = o.warn ?? ((m) => writeStderr(`multilog: warning: ${m}\n`));
    this.now = o.now ?? taiaNow;
    this.pauseMs = o.pauseMs ?? PAUSE_MS;
    this.labelLength = script.timestamp ? LABEL : 0;
    this.label[0] = 0x40; // '@'
    this.label[LABEL - 1] = 0x20;
    this.plain = script.actions.every((a) => a.kind === 'dir');
    try {
      for (const a of script.actions) {
        if (a.kind !== 'status') { this.targets.push(null); continue; }
        const status = openStatus(a.file, path.resolve(base, a.file));
        this.statuses.push(status);
        this.targets.push(status);
      }
      script.actions.forEach((a, i) => {
        if (a.kind !== 'dir') return;
        const dir = new LogDirectory({
          name: a.dir, path: path.resolve(base, a.dir), size: a.size, num: a.num, processor: a.processor,
          now: this.now, warn: this.warn, pauseMs: this.pauseMs, onIdle: () => this.checkIdle(),
        });
        this.dirs.push(dir);
        this.targets[i] = dir;
      });
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Whether the last line is complete (TERM waits for that). */
  get atLineStart(): boolean {
    return !this.inLine;
  }

  /** Takes one read of input. False: stop reading until onDrain (a directory is retrying a failed
   * step or running its processor); what is pushed meanwhile is kept, never dropped. */
  push(chunk: Buffer): boolean {
    if (this.script.timestamp) this.relabel();
    const n = chunk.length;
    const headRoom = LINE_MAX - this.labelLength;
    this.nextRead = READ;
    let pos = 0;
    while (pos < n) {
      if (this.inLine) { pos = this.continueLine(chunk, pos); continue; }
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0 || nl - pos >= headRoom) {
        this.inLine = true;
        this.lineLength = this.labelLength;
        this.label.copy(this.line, 0, 0, this.labelLength);
        continue;
      }
      this.readsBefore(nl);
      if (this.plain) {
        // The hot path: straight into every directory.
        for (const d of this.dirs) {
          if (this.labelLength) d.append(this.label, 0, LABEL);
          d.append(chunk, pos, nl + 1);
          d.put(this.labelLength + nl - pos);
          d.putc(1);
        }
      } else {
        this.label.copy(this.line, 0, 0, this.labelLength);
        chunk.copy(this.line, this.labelLength, pos, nl);
        this.lineLength = this.labelLength + nl - pos;
        this.headDone();
        this.newline();
      }
      pos = nl + 1;
    }
    return this.endOfRead();
  }

  /** A line begun in an earlier chunk, or longer than 1,000 bytes. */
  private continueLine(chunk: Buffer, pos: number): number {
    const n = chunk.length;
    if (!this.streaming) {
      const full = Math.min(n, pos + LINE_MAX - this.lineLength);
      const nl = chunk.indexOf(NL, pos);
      if (nl >= 0 && nl < full) {
        chunk.copy(this.line, this.lineLength, pos, nl);
        this.lineLength += nl - pos;
        this.readsBefore(nl);
        this.headDone();
        this.newline();
        return nl + 1;
      }
      chunk.copy(this.line, this.lineLength, pos, full);
      this.lineLength += full - pos;
      if (this.lineLength < LINE_MAX) return n;
      this.readsBefore(full - 1);
      this.headDone();
      this.streaming = true;
      return full;
    }
    const nl = chunk.indexOf(NL, pos);
    const end = nl < 0 ? n : nl;
    while (pos < end) {
      this.readsBefore(pos);
      const stop = Math.min(end, this.nextRead);
      for (const d of this.dirs) {
        if (!d.selected) continue;
        d.append(chunk, pos, stop);
        d.putc(stop - pos);
      }
      pos = stop;
    }
    if (nl < 0) return n;
    this.readsBefore(nl);
    this.newline();
    return nl + 1;
  }

  /** The byte at input offset `at` was read after every 1 KiB boundary up to it: each flushes. */
  private readsBefore(at: number): void {
    if (this.nextRead > at) return;
    for (const d of this.dirs) d.readBoundary();
    this.nextRead = (Math.floor(at / READ) + 1) * READ;
  }

  /** The line's first 1,000 bytes (or all of a shorter one) are in: the actions, then the directories. */
  private headDone(): void {
    const line = this.line;
    const len = this.lineLength;
    if (!this.plain) {
      let selected = true;
      const actions: Action[] = this.script.actions;
      for (let i = 0; i < actions.length; i++) {
        const a = actions[i]!;
        switch (a.kind) {
          case 'select': if (!selected && matches(a.pattern, line, len)) selected = true; break;
          case 'deselect': if (selected && matches(a.pattern, line, len)) selected = false; break;
          case 'stderr':
            if (selected) this.stderrOut.push(len > STDERR_MAX ? Buffer.concat([line.subarray(0, STDERR_MAX), Buffer.from('...\n')]) : Buffer.from(line.subarray(0, len + 1)));
            break;
          case 'status':
            if (selected) {
              const s = this.targets[i] as StatusFile;
              line.copy(s.line, 0, 0, LINE_MAX + 1);
              s.dirty = true;
            }
            break;
          case 'dir': (this.targets[i] as LogDirectory).selected = selected; break;
        }
      }
    }
    for (const d of this.dirs) {
      if (!d.selected) continue;
      d.append(line, 0, len);
      d.put(len);
    }
  }

  /** The end of the line. */
  private newline(): void {
    for (const d of this.dirs) {
      if (!d.selected) continue;
      d.appendNewline();
      d.putc(1);
    }
    this.line.fill(NL, 0, this.lineLength);
    this.lineLength = 0;
    this.inLine = false;
    this.streaming = false;
  }

  private relabel(): void {
    encodeTai64n(this.now(), this.stamp);
    this.label.write(this.stamp.toString('hex'), 1, 'latin1');
  }

  private endOfRead(): boolean {
    for (const d of this.dirs) d.endOfRead();
    if (this.stderrOut.length) {
      const out = Buffer.concat(this.stderrOut);
      this.stderrOut = [];
      try {
        (this.o.stderr ?? ((b: Buffer) => writeAllSync(2, b)))(out);
      } catch { /* daemontools ignores a failing stderr */ }
    }
    this.writeStatuses();
    return this.checkIdle(false);
  }

  /** `=`: the last selected line, padded to 1,001 bytes, over the file's start. */
  private writeStatuses(): void {
    this.statusTimer = null;
    for (const s of this.statuses) {
      if (!s.dirty) continue;
      try {
        if (fs.writeSync(s.fd, s.line, 0, LINE_MAX + 1, 0) !== LINE_MAX + 1) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        s.dirty = false;
      } catch (err) {
        this.warn(`unable to write ${s.name}, pausing: ${djbErrorText(err)}`);
        this.statusTimer ??= setTimeout(() => { this.writeStatuses(); this.checkIdle(); }, this.pauseMs);
      }
    }
  }

  private get idle(): boolean {
    return this.statusTimer === null && this.dirs.every((d) => d.idle);
  }

  /** Tells onDrain (or end()) once everything caught up; returns whether it has. */
  private checkIdle(notify = true): boolean {
    const idle = this.idle;
    if (!idle) {
      this.busy = true;
      return false;
    }
    if (this.ending) {
      const done = this.ending;
      this.ending = null;
      this.release();
      done();
    } else if (this.busy && notify) {
      this.busy = false;
      this.o.onDrain?.();
    } else {
      this.busy = false;
    }
    return true;
  }

  /** ALRM: every non-empty `current` is full now. */
  rotate(): void {
    for (const d of this.dirs) d.forceRotation();
  }

  /** End of input: a last line without a newline gets one; then every `current` is written, synced
   * and marked complete, and the locks are released. Resolves once done (a failing step is retried
   * until it succeeds, as daemontools does). */
  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.inLine) {
        if (!this.streaming) this.headDone();
        this.newline();
      }
      this.endOfRead();
      for (const d of this.dirs) d.close();
      this.ending = resolve;
      this.checkIdle();
    });
  }

  private release(): void {
    for (const s of this.statuses) fs.closeSync(s.fd);
    this.statuses.length = 0;
  }
}

/** `=FILE`: created if missing (mode 600, as daemontools' open_append), then opened for writing. */
function openStatus(name: string, file: string): StatusFile {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NONBLOCK, 0o600));
  } catch (err) {
    throw new MultilogFatal(`unable to create ${name}: ${djbErrorText(err)}`);
  }
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new MultilogFatal(`unable to write ${name}: ${djbErrorText(err)}`);
  }
  return { name, fd, line: Buffer.alloc(LINE_MAX + 1, NL), dirty: false };
}

function writeStderr(text: string): void {
  try { writeAllSync(2, Buffer.from(text)); } catch { /* nowhere left to say it */ }
}
