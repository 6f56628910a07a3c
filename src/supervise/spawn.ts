// Starting a program of a service (./run, ./finish) the way supervise does: in the service
// directory, in a session and process group of its own, with the stdio the worker's host gives for
// this start (worker-api.ts), whose extra fds are closed once the child has its copies.
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { StdioEntry, StdioForStart, WorkerOptions } from './worker-api.ts';

/**
 * Spawns `command` in the service directory, in its own session and process group (so a whole
 * service can be signalled at once, and a terminal's ^C or svscan's death never reaches it), with
 * the stdio of `options` for this start. `notificationFd` adds a pipe at that fd in the child.
 */
export function spawnInService(options: WorkerOptions, command: string, args: string[], notificationFd?: number): ChildProcess {
  const { stdio, close: toClose = [] } = stdioForStart(options);
  const full: (StdioEntry | IOType)[] = [...stdio];
  if (notificationFd !== undefined) {
    while (full.length < notificationFd) full.push('ignore');
    full[notificationFd] = 'pipe';
  }
  try {
    return spawn(command, args, { cwd: options.dir, stdio: full, env: options.env ?? process.env, detached: true });
  } finally {
    // The child has its own copies now (or there is no child).
    for (const fd of toClose) {
      try { closeSync(fd); } catch { /* already closed */ }
    }
  }
}

/** The stdio for one start of ./run or ./finish, and the fds to close once it is spawned. */
function stdioForStart(options: WorkerOptions): StdioForStart {
  const option = options.stdio;
  if (typeof option === 'function') return option();
  return { stdio: option ?? ['inherit', 'inherit', 'inherit'] };
}
