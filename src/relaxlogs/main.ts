// The logger as a process: stdin into one LogStream (stream.ts: framer, rotating file, timers, lock,
// write-error back-pressure), signals mapped onto it, diagnostics to stderr (diagnostics.ts), V8's
// compilers turned on when the input gets loud (protocol/v8-compilers.ts).
import fs from 'node:fs';
import { djbErrorText } from '../protocol/errors.ts';
import { createDiagnostics } from './diagnostics.ts';
import type { LongLines } from './framer.ts';
import { readInput, type Input, type InputHandlers } from '../protocol/read-input.ts';
import type { FsyncMode } from './rotating-file.ts';
import { LogStream } from './stream.ts';
import type { Zone } from './zone.ts';
import { EXIT_FAILURE, EXIT_OK } from '../protocol/exit-codes.ts';
import { loudCounter } from '../protocol/v8-compilers.ts';


export interface LoggerOptions {
  /** null = pass-through to stdout. */
  logDir: string | null;
  rotationTime: number;
  maxAge: number;
  /** null = no labels. */
  timeFormat: string | null;
  pattern: string;
  linkName: string;
  rotationCount: number;
  maxTotalSize: number;
  rotationSize: number;
  zone: Zone;
  createEmpty: boolean;
  purgeInterval: number;
  bufferSize: number;
  flushInterval: number;
  fsync: FsyncMode;
  maxLine: number;
  longLines: LongLines;
  lastLineTimeout: number;
  onWriteError: 'retry' | 'exit';
  retryInterval: number;
  tee: boolean;
  compress: boolean;
  /** '' = none. */
  processor: string;
  fileMode: number;
  dirMode: number;
  lock: boolean;
  readyFd: number | null;
}

/** Validates `o` (throws UsageError before any side effect) and runs until exit. */
export function runLogger(o: LoggerOptions): void {
  const log = createDiagnostics('relaxlogs');
  const fatal = (msg: string): never => {
    log.fatal(msg);
    process.exit(EXIT_FAILURE);
  };

  let input: Input | null = null;
  let exitCode = EXIT_OK;
  const stream = new LogStream(o, {
    info: (fields, msg) => log.info(fields, msg),
    warn: (msg) => log.warn(msg),
    pauseInput: () => input?.pause(),
    resumeInput: () => input?.resume(),
    fatal,
    finished: () => process.exit(exitCode),
  });

  process.on('SIGTERM', () => stream.stop());
  process.on('SIGINT', () => stream.stop());
  process.on('SIGHUP', () => stream.reopen());
  process.on('SIGALRM', () => stream.rotate());
  // bin/relaxlogs starts with V8's compilers off (a quiet logger stays small); a loud one turns them on.
  const loud = loudCounter();
  process.on('SIGUSR1', () => log.info({ ...stream.snapshot(), v8Compilers: loud.on }, 'stats'));
  process.on('SIGPIPE', () => {});
  process.on('uncaughtException', (err) => fatal(`internal error: ${err.stack ?? err.message}`));

  const inputHandlers: InputHandlers = {
    data: (chunk) => { loud(chunk.length); stream.push(chunk); },
    end: () => stream.end(),
    error: (err) => {
      log.error(`unable to read input: ${djbErrorText(err)}`);
      exitCode = EXIT_FAILURE;
      stream.end();
    },
  };
  try {
    input = readInput(0, inputHandlers);
  } catch (err) {
    fatal(`unable to read input: ${djbErrorText(err)}`);
  }

  if (o.readyFd !== null) {
    try {
      fs.writeSync(o.readyFd, '\n');
      fs.closeSync(o.readyFd);
    } catch (err) {
      log.warn(`unable to notify readiness on fd ${o.readyFd}: ${djbErrorText(err)}`);
    }
  }
}
