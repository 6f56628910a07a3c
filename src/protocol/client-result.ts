import { writeAllSync } from './write-all.ts';

/** What a control client prints and returns; kept apart from printing so tests can call it in-process. */
export interface ClientResult {
  /** Lines for stdout, without newlines. */
  out: string[];
  /** Lines for stderr, without newlines. */
  err: string[];
  code: number;
}

function writeLines(fd: number, lines: string[]): void {
  if (lines.length === 0) return;
  try {
    writeAllSync(fd, Buffer.from(lines.map((l) => `${l}\n`).join('')));
  } catch {
    // A closed pipe: nobody to tell.
  }
}

/** Prints a result synchronously (so nothing is lost to process.exit) and exits with its code. */
export function finishClient(result: ClientResult): never {
  writeLines(1, result.out);
  writeLines(2, result.err);
  process.exit(result.code);
}
