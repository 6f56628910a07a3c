// Running ours and daemontools' tai64n/tai64nlocal on the same input, with an environment built
// from scratch (PATH and, when given, TZ): no test depends on SHELL, TERM or LANG.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { bin } from '../helpers/sandbox.ts';

export const DT = { tai64n: '/usr/bin/tai64n', tai64nlocal: '/usr/bin/tai64nlocal' } as const;
export const HAVE_DT = existsSync(DT.tai64n) && existsSync(DT.tai64nlocal);
export const DT_SKIP_REASON = 'daemontools is not installed (apt-get install daemontools): tai64n comparisons skipped';
if (!HAVE_DT) console.warn(DT_SKIP_REASON);

export type Program = keyof typeof DT;
/** TZ for the child: a value, or undefined to leave TZ unset (/etc/localtime). */
export type Tz = string | undefined;

export interface Result {
  stdout: Buffer;
  status: number | null;
  signal: NodeJS.Signals | null;
}

export function env(tz: Tz): NodeJS.ProcessEnv {
  return tz === undefined ? { PATH: process.env.PATH } : { PATH: process.env.PATH, TZ: tz };
}

export function run(path: string, input: Buffer | string, tz?: Tz, args: string[] = []): Result {
  const r = spawnSync(path, args, { input, env: env(tz), maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, status: r.status, signal: r.signal };
}

export const ours = (p: Program, input: Buffer | string, tz?: Tz, args?: string[]) => run(bin(p), input, tz, args);
export const theirs = (p: Program, input: Buffer | string, tz?: Tz, args?: string[]) => run(DT[p], input, tz, args);
