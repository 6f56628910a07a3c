// How a service's log/ directory asks for svscan's built-in logger: no `log/run`, and a file
// `log/relaxlogs` holding relaxlogs' options (whitespace-separated words, `#` to the end of the line
// a comment; `--log-dir` relative to log/). A `log/run` always wins: it is a logger of its own.
// (A `log/multilog` holding a multilog script is the next format: LoggerKind gains it then.)
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { djbErrorText } from '../protocol/errors.ts';
import type { LoggerKind } from './messages.ts';

export const OPTIONS_FILES: readonly LoggerKind[] = ['relaxlogs'];

/** What runs S/log: its own `run` (a process, as daemontools), the built-in logger, or nothing. */
export type LogMode = { kind: 'run' } | { kind: 'builtin'; format: LoggerKind; file: string } | { kind: 'none' };

const exists = (path: string): boolean => statSync(path, { throwIfNoEntry: false }) !== undefined;

export function logMode(logDir: string): LogMode {
  const st = statSync(logDir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return { kind: 'none' };
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

/** Reads an options file into absolute words; throws an Error naming the file and what to do. */
export function readOptionsFile(file: string, logDir: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`unable to read ${file}: ${djbErrorText(err)}; make it a readable file of relaxlogs options`);
  }
  return absoluteLogDir(splitWords(text), resolve(logDir));
}
