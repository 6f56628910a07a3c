// svscan --log-dir DIR: svscan's own messages in rotated files that svscan writes itself, through
// relaxlogs' engine (src/relaxlogs/stream.ts: period files, a `current` link, age and size
// retention, fsync before a file is left, retry with back-pressure on write errors, a flock on
// DIR/lock). No pipe to a logger process: no logger's death can SIGPIPE svscan or take messages
// with it, and every message is in the file before svscan exits. Loaded only when --log-dir is
// given (src/svscan/main.ts). Why not rotating-file-stream: doc/svscanboot.md, "Why in-process".
import { writeSync } from 'node:fs';
import { djbErrorText } from '../protocol/errors.ts';
import { parseRelaxlogsArgs } from '../relaxlogs/args.ts';
import { LogStream } from '../relaxlogs/stream.ts';

/** Daily files, kept 31 days, none above 10 MiB, 100 MiB in all: a crash loop cannot fill the disk. */
export const OWN_LOG_POLICY = ['--rotation-time', '1d', '--max-age', '31d', '--rotation-size', '10M', '--max-total-size', '100M'] as const;

/** Messages held in memory while DIR cannot be written; newer ones are counted and dropped. */
const HELD_LIMIT = 1024 * 1024;

/** Where problems of the log itself go: svscan's stderr (the one place left when DIR fails). */
export interface OwnLogProblems {
  warn(msg: string): void;
  error(msg: string): void;
}

/** A pino destination (one JSON line per write) on DIR's rotated files. */
export class OwnLog {
  private readonly stream: LogStream;
  private failing = false;
  private dead = false;
  private dropped = 0;

  /** Takes DIR (created 0755 if missing) and its lock; throws an Error saying what failed and where. */
  constructor(readonly dir: string, private readonly problems: OwnLogProblems) {
    let fatal = '';
    this.stream = new LogStream(parseRelaxlogsArgs(['--log-dir', dir, ...OWN_LOG_POLICY]), {
      info: () => { /* purges: visible in DIR itself */ },
      warn: (msg) => problems.warn(`svscan's log ${dir}: ${msg}`),
      pauseInput: () => { this.failing = true; },
      resumeInput: () => this.recovered(),
      fatal: (msg) => {
        fatal = msg;
        this.dead = true;
      },
      finished: () => { this.dead = true; },
    });
    if (fatal) throw new Error(`${fatal}${/lock busy/.test(fatal) ? ': another svscan logs there; give each its own --log-dir' : ''}`);
  }

  write(line: string): void {
    if (this.dead) {
      // The log is gone (closed at exit, or dead): stderr rather than nothing.
      try { writeSync(2, line); } catch { /* stderr closed too */ }
      return;
    }
    if (this.failing && this.stream.snapshot().queuedBytes > HELD_LIMIT) {
      this.dropped++;
      return;
    }
    try {
      this.stream.push(Buffer.from(line));
    } catch (err) {
      // The engine throws only on a bug; svscan's messages must never stop supervision.
      this.dead = true;
      this.problems.error(`svscan's log ${this.dir}: ${djbErrorText(err)}; messages go to stderr from now on`);
    }
  }

  /** Writes what is held, fsyncs and closes the file, releases DIR/lock (at exit: synchronous). */
  close(): void {
    if (!this.dead) this.stream.end();
    this.dead = true;
  }

  private recovered(): void {
    this.failing = false;
    if (this.dropped === 0) return;
    this.problems.warn(`svscan's log ${this.dir}: writable again; ${this.dropped} messages were dropped while more than ${HELD_LIMIT} bytes waited`);
    this.dropped = 0;
  }
}
