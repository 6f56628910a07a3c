// Real flock(2) locks without native code. Node core has no flock; util-linux flock(1) run with our
// open file as its fd 3 locks that open file description, which stays ours (and locked) after flock(1)
// exits, until we close it or die. These locks exclude and are excluded by daemontools' supervise,
// multilog, setlock, Go's syscall.Flock (sabo) and flock(1) itself.
import { spawn, spawnSync } from 'node:child_process';
import type { Call } from './io-steps.ts';

const FLOCK = 'flock';
const FLOCK_BUSY_EXIT = 1;

export class FlockUnavailableError extends Error {
  constructor(detail: string) {
    super(`unable to run flock(1) from util-linux (${detail}): install util-linux`);
  }
}

function flockArgs(mode: 'exclusive' | 'shared'): string[] {
  return ['--nonblock', mode === 'exclusive' ? '--exclusive' : '--shared', '3'];
}

function interpret(code: number | null, stderr: string): boolean {
  if (code === 0) return true;
  if (code === FLOCK_BUSY_EXIT && stderr.trim() === '') return false;
  throw new FlockUnavailableError(stderr.trim() || `exit ${code}`);
}

/**
 * Tries to take a flock(2) on the open file `fd` without blocking.
 * Resolves true when this process now holds it, false when another open file description holds it.
 */
export function tryFlock(fd: number, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(FLOCK, flockArgs(mode), { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', (err) => reject(new FlockUnavailableError(err.message)));
    child.on('close', (code) => {
      try { resolve(interpret(code, stderr)); } catch (err) { reject(err); }
    });
  });
}

/** Synchronous tryFlock, for start-up paths where nothing else runs yet (~2 ms). */
export function tryFlockSync(fd: number, mode: 'exclusive' | 'shared' = 'exclusive'): boolean {
  const r = spawnSync(FLOCK, flockArgs(mode), { stdio: ['ignore', 'ignore', 'pipe', fd], encoding: 'utf8' });
  if (r.error) throw new FlockUnavailableError(r.error.message);
  return interpret(r.status, r.stderr ?? '');
}

/** tryFlock as a Call of steps (src/protocol/io-steps.ts): a spawn either way, waited for only when run synchronously. */
export function flockCall(fd: number): Call<boolean> {
  return {
    sync: () => tryFlockSync(fd),
    async: (done) => { tryFlock(fd).then((held) => done(null, held), (err: Error) => done(err)); },
  };
}
