// Plumbing for the built-in logger's tests: services whose log/ holds a `relaxlogs` options file
// instead of a run script, and readers of what landed in a relaxlogs directory.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../helpers/sandbox.ts';

/** Numbered lines 1, 2, 3... as fast as the shell goes (one write per line). */
export const COUNTER = '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo $i; done\n';

/** A service `name` under scan/ running `run`, its log/ asking for the built-in logger with `options`. */
export function builtinService(sb: Sandbox, name: string, run: string, options = '--log-dir ./main'): string {
  const dir = sb.service(`scan/${name}`, run);
  mkdirSync(join(dir, 'log'));
  writeFileSync(join(dir, 'log', 'relaxlogs'), `${options}\n`);
  return dir;
}

/** relaxlogs' files in `dir`, oldest first (generations numerically: log.X, log.X.1, ..., log.X.10). */
export function logFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const key = (f: string): [string, number] => {
    const m = /^(log\.\d+)(?:\.(\d+))?$/.exec(f);
    return m ? [m[1]!, Number(m[2] ?? 0)] : [f, 0];
  };
  return readdirSync(dir).filter((f) => /^log\.\d+(\.\d+)?$/.test(f)).sort((a, b) => {
    const [pa, ga] = key(a);
    const [pb, gb] = key(b);
    return pa < pb ? -1 : pa > pb ? 1 : ga - gb;
  }).map((f) => join(dir, f));
}

/** Every line in `dir`'s files, in file order. */
export function logLines(dir: string): string[] {
  const text = logFiles(dir).map((f) => readFileSync(f, 'latin1')).join('');
  return text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
}

export interface NumberCheck {
  count: number;
  last: number;
  /** [after, next] where next !== after + 1. */
  gaps: [number, number][];
  notNumbers: number;
}

/** Looks at a sequence of numbered lines: how many, the last, where it is not +1 from the previous. */
export function checkNumbers(lines: string[], first = 1): NumberCheck {
  const gaps: [number, number][] = [];
  let prev = first - 1;
  let notNumbers = 0;
  for (const line of lines) {
    if (!/^\d+$/.test(line)) { notNumbers++; continue; }
    const n = Number(line);
    if (n !== prev + 1) gaps.push([prev, n]);
    prev = n;
  }
  return { count: lines.length, last: prev, gaps, notNumbers };
}
