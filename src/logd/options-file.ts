// How a service's log/ directory asks for svscan's built-in logger: no `log/run`, and a file
// `log/relaxlogs` holding relaxlogs' options (`--log-dir` relative to log/), or `log/multilog` holding
// a multilog script (its directories relative to log/): whitespace-separated words, `#` to the end of
// the line a comment. A `log/run` always wins: it is a logger of its own.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { djbErrorText } from '../protocol/errors.ts';
import type { LoggerKind } from './messages.ts';

export const OPTIONS_FILES: readonly LoggerKind[] = ['relaxlogs', 'multilog'];

/** What runs S/log: its own `run` (a process, as daemontools), the built-in logger, or nothing. */
export type LogMode = { kind: 'run' } | { kind: 'builtin'; format: LoggerKind; file: string } | { kind: 'none' };

/** stat(2) that never throws: what cannot be looked at (EACCES, ELOOP...) counts as absent, as for
 * any other file of a service directory; the worker reports such a directory when it takes charge. */
function stat(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
const exists = (path: string): boolean => stat(path) !== undefined;

/** Never throws: it runs at every scan for every service. */
export function logMode(logDir: string): LogMode {
  if (!stat(logDir)?.isDirectory()) return { kind: 'none' };
  if (exists(join(logDir, 'run'))) return { kind: 'run' };
  for (const format of OPTIONS_FILES) {
    const file = join(logDir, format);
    if (exists(file)) return { kind: 'builtin', format, file };
  }
  // Neither: supervised as daemontools does, which reports the missing run script.
  return { kind: 'run' };
}

/** The words of an options file, comments left out. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const line of text.split('\n')) {
    for (const word of line.split(/[ \t\r\f\v]+/)) {
      if (word.startsWith('#')) break;
      if (word) words.push(word);
    }
  }
  return words;
}

/** `--log-dir` made absolute against `base` (the log/ directory holding the options file). */
export function absoluteLogDir(words: string[], base: string): string[] {
  const fix = (dir: string): string => (dir === '' || dir === 'stdout' || isAbsolute(dir) ? dir : resolve(base, dir));
  return words.map((word, i) => {
    if (word.startsWith('--log-dir=')) return `--log-dir=${fix(word.slice('--log-dir='.length))}`;
    if (i > 0 && words[i - 1] === '--log-dir') return fix(word);
    return word;
  });
}

/** Reads an options file into words (relaxlogs': --log-dir absolute); throws an Error naming the file. */
export function readOptionsFile(file: string, format: LoggerKind, logDir: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`unable to read ${file}: ${djbErrorText(err)}; make it a readable file of ${format === 'relaxlogs' ? 'relaxlogs options' : 'a multilog script'}`);
  }
  const words = splitWords(text);
  return format === 'relaxlogs' ? absoluteLogDir(words, resolve(logDir)) : words;
}
