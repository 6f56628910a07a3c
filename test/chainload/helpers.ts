// Running a chain-loader, ours (bin/NAME) or daemontools' (/usr/bin/NAME), in a fixed environment:
// no $SHELL, TERM or LANG from whoever runs the tests, and PWD matching the directory, as a ./run
// started by sh would hand it on (dash sets PWD when it is missing: doc/envdir.md).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { bin, HAVE_DAEMONTOOLS } from '../helpers/sandbox.ts';

export const HAVE_CHAINLOADERS = HAVE_DAEMONTOOLS && existsSync('/usr/bin/setuidgid') && existsSync('/usr/bin/fghack');
export const CHAINLOADERS_SKIP_REASON = 'daemontools is not installed (apt-get install daemontools): the oracle /usr/bin/setuidgid etc. is missing';
export const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type Outcome = { stdout: string; stderr: string; code: number | null; pid: number };

export function run(file: string, args: string[], cwd: string, options: { env?: Record<string, string>; input?: string; asNobody?: boolean; groups?: string } = {}): Outcome {
  const env = { PATH, PWD: cwd, ...options.env };
  const [cmd, argv] = options.asNobody
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', file, ...args]]
    : options.groups
      ? ['setpriv', [`--groups=${options.groups}`, file, ...args]]
      : [file, args];
  const r = spawnSync(cmd, argv, { cwd, env, input: options.input ?? '', encoding: 'utf8', timeout: 30_000 });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status, pid: r.pid ?? 0 };
}

/** Ours and daemontools' on the same arguments: their outcomes without the pids. */
export function both(name: string, args: string[], cwd: string, options: Parameters<typeof run>[3] = {}) {
  const strip = ({ pid: _pid, ...rest }: Outcome) => rest;
  return { ours: strip(run(bin(name), args, cwd, options)), theirs: strip(run(`/usr/bin/${name}`, args, cwd, options)) };
}
