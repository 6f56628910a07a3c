// A `log/multilog` script run by the multilog thread (thread.ts): multilog's interpreter (src/multilog/multilog.ts)
// behind the same face as relaxlogs' LogStream (push, end, stop, rotate, snapshot), so that loggers.ts
// drives either. multilog has no reopen (daemontools' ignores HUP) and does not count what it wrote.
import { resolve } from 'node:path';
import { djbErrorText } from '../protocol/errors.ts';
import { writeAllSync } from '../protocol/write-all.ts';
import type { LogStreamHooks, LogStreamStats } from '../relaxlogs/stream.ts';
import { Multilog, MultilogFatal } from '../multilog/multilog.ts';
import { MultilogUsageError, parseMultilogScript } from '../multilog/script.ts';
import type { Action } from '../multilog/script.ts';

/** On stop, how long to wait for the end of a line being written (relaxlogs' --last-line-timeout default). */
const LAST_LINE_MS = 2000;

export class MultilogEngine {
  private readonly multilog: Multilog | undefined;
  private stats = { bytesIn: 0, bytesOut: 0, lines: 0, writeErrors: 0, startedAt: new Date().toISOString(), lastError: null as string | null };
  private held = false;
  private stopping = false;
  private dead = false;
  private timer: NodeJS.Timeout | undefined;
  /** The first directory of the script (its `current` is what status.json shows). */
  readonly logDir: string | null;

  /** `words`: the script; relative directories against `base` (S/log). Failures go to hooks.fatal. */
  constructor(words: string[], base: string, private readonly hooks: LogStreamHooks) {
    const script = parseMultilogScript(words);
    if (script instanceof MultilogUsageError) throw new Error(`multilog script: ${script.message}`);
    const firstDir = script.actions.find((a): a is Extract<Action, { kind: 'dir' }> => a.kind === 'dir');
    this.logDir = firstDir ? resolve(base, firstDir.dir) : null;
    try {
      this.multilog = new Multilog(script, {
        baseDir: base,
        warn: (m) => { this.stats.lastError = m; hooks.warn(m); },
        // `e`: to svscan's stderr, where a log/run multilog's would go.
        stderr: (bytes) => { try { writeAllSync(2, bytes); } catch { /* a closed stderr stops nothing */ } },
        onDrain: () => { this.held = false; hooks.resumeInput(); },
      });
    } catch (err) {
      if (!(err instanceof MultilogFatal)) throw err;
      this.dead = true;
      hooks.fatal(err.message);
    }
  }

  get isDead(): boolean {
    return this.dead;
  }

  snapshot(): LogStreamStats {
    return {
      ...this.stats,
      activeFile: this.logDir ? 'current' : null,
      failing: this.held,
      queuedBytes: 0,
    };
  }

  push(chunk: Buffer): void {
    if (this.dead || !this.multilog) return;
    this.stats.bytesIn += chunk.length;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.stats.lines++;
    if (!this.multilog.push(chunk)) {
      this.held = true;
      this.hooks.pauseInput();
    }
    if (this.stopping && this.multilog.atLineStart) this.end();
  }

  end(): void {
    if (this.dead || !this.multilog) return;
    this.dead = true;
    clearTimeout(this.timer);
    this.hooks.pauseInput();
    this.multilog.end().then(() => this.hooks.finished(), (err: unknown) => this.hooks.fatal(`unable to finish: ${djbErrorText(err)}`));
  }

  stop(): void {
    if (this.stopping || this.dead || !this.multilog) return;
    this.stopping = true;
    if (this.multilog.atLineStart) { this.end(); return; }
    this.timer = setTimeout(() => this.end(), LAST_LINE_MS);
  }

  rotate(): void { this.multilog?.rotate(); }
  reopen(): void { /* multilog has no reopen */ }
  dispose(): void { clearTimeout(this.timer); }
}

