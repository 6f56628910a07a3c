// The standalone multilog: stdin through the script until end of input or TERM, as daemontools 0.76's.
// TERM in the middle of a line waits for its end, reading one byte at a time so that nothing after it
// leaves the pipe (the next logger gets it); ALRM makes every non-empty `current` full.
import { writeAllSync } from '../protocol/write-all.ts';
import { readInput, type Input } from '../protocol/read-input.ts';
import { Multilog, MultilogFatal } from './multilog.ts';
import { MultilogUsageError, parseMultilogScript } from './script.ts';
import { EXIT_FAILURE, EXIT_USAGE } from '../protocol/exit-codes.ts';


function die(code: number, text: string): never {
  try { writeAllSync(2, Buffer.from(text)); } catch { /* exiting anyway */ }
  process.exit(code);
}

export function runMultilog(args: string[]): void {
  process.umask(0o022);
  const script = parseMultilogScript(args);
  if (script instanceof MultilogUsageError) die(EXIT_USAGE, `multilog: usage: multilog script: ${script.message}\n`);
  let input: Input | null = null;
  let ending = false;
  let multilog: Multilog;
  try {
    multilog = new Multilog(script, { onDrain: () => { if (!ending) input?.resume(); } });
  } catch (err) {
    if (err instanceof MultilogFatal) die(EXIT_FAILURE, `multilog: fatal: ${err.message}\n`);
    throw err;
  }
  const finish = (): void => {
    if (ending) return;
    ending = true;
    input?.pause();
    void multilog.end().then(() => process.exit(0));
  };
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    if (multilog.atLineStart) finish();
    else input?.limitReads(1);
  };
  // daemontools acts on TERM and ALRM only between reads; so does this (signals arrive between chunks).
  process.on('SIGTERM', stop);
  process.on('SIGALRM', () => multilog.rotate());
  input = readInput(0, {
    data: (chunk) => {
      if (ending) return;
      if (!multilog.push(chunk)) input?.pause();
      if (stopping && multilog.atLineStart) finish();
    },
    // daemontools takes a read error for the end of input.
    end: finish,
    error: finish,
  });
}
