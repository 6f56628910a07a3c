// Test plumbing: a temporary directory per test, polling with deadlines, and cleanup of every
// process a test starts (by pid or process group, never by name).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readExtendedStatus, type ExtendedStatus } from '../../src/protocol/extended-status.ts';
import { decodeStatus } from '../../src/protocol/status.ts';
import { readProcStat } from '../../src/supervise/proc-stat.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin');

export function bin(name: string): string {
  return join(BIN, name);
}

/** True when daemontools' own binaries are installed (the interop peer). */
export const HAVE_DAEMONTOOLS = spawnSync('sh', ['-c', 'command -v supervise && command -v svstat'], { stdio: 'ignore' }).status === 0;
export const DAEMONTOOLS_SKIP_REASON = 'daemontools is not installed (apt-get install daemontools): interop tests skipped';

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function processState(pid: number): string | undefined {
  return readProcStat(pid)?.state;
}

export function isAlive(pid: number): boolean {
  // A zombie still answers kill(0); read its state instead (doc/design.md, Children: Not PID 1).
  const state = processState(pid);
  return state !== undefined && state !== 'Z';
}

/** Pid recorded in DIR/supervise/status, 0 when down or unreadable. */
export function statusPid(dir: string): number {
  try {
    return decodeStatus(readFileSync(join(dir, 'supervise/status')))?.pid ?? 0;
  } catch {
    return 0;
  }
}

/** Runs a one-shot command; its output and exit code. */
export function sh(cmd: string, args: string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

/** DIR/supervise/status.json, undefined when absent. */
export function ext(dir: string): ExtendedStatus | undefined {
  return readExtendedStatus(join(dir, 'supervise'));
}

/** Waits for a running ./run in DIR's status; its pid. */
export const upPid = (dir: string, timeoutMs = 15_000) => waitFor(`${dir} up`, () => statusPid(dir) || undefined, timeoutMs);

export class Sandbox {
  readonly root: string;
  private readonly children: ChildProcess[] = [];
  private readonly serviceDirs: string[] = [];
  private readonly extraPids: number[] = [];

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'svtools-test-'));
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  /** Creates a service directory with an executable `run` script. */
  service(name: string, runScript: string, options: { down?: boolean } = {}): string {
    const dir = this.path(name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run'), runScript);
    chmodSync(join(dir, 'run'), 0o755);
    if (options.down) writeFileSync(join(dir, 'down'), '');
    this.serviceDirs.push(dir);
    return dir;
  }

  /** Starts a long-running process in its own process group, stopped at cleanup. */
  spawn(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess & { output: () => string } {
    const child = spawn(command, args, { cwd: options.cwd ?? this.root, env: options.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { output += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { output += d; });
    this.children.push(child);
    return Object.assign(child, { output: () => output });
  }

  /** Registers a pid (e.g. a service a supervise left running) to be killed at cleanup. */
  track(pid: number): void {
    if (pid > 0) this.extraPids.push(pid);
  }

  cleanup(): void {
    // Supervisors first, so that none restarts a service between its kill and the removal below.
    const pids = new Set<number>();
    for (const child of this.children) if (child.pid) pids.add(child.pid);
    for (const pid of this.extraPids) pids.add(pid);
    for (const dir of this.serviceDirs) {
      pids.add(statusPid(dir));
      pids.add(statusPid(join(dir, 'log')));
    }
    pids.delete(0);
    // A status naming PID 1 (a forged one, in a test of adoption): kill(-1) would kill every process
    // on the machine, and /proc/1/cwd may be unreadable even to root, which reads as "ours" below.
    pids.delete(1);
    for (const pid of pids) {
      // Each is its own process group leader here (setsid by our supervise, detached by spawn);
      // the pid alone covers daemontools' children, which share supervise's group. A recorded pid
      // may have been reused by now by someone else's process: signal a live one only if it works
      // inside this sandbox. A dead leader's group can only hold its own descendants (the kernel
      // gives no new process a pid that is still some group's id), so the group is always ours.
      let live: string | undefined;
      try { live = readlinkSync(`/proc/${pid}/cwd`); } catch { live = undefined; }
      const ours = live === undefined || live === this.root || live.startsWith(`${this.root}/`);
      if (!ours) continue;
      for (const target of live === undefined ? [-pid] : [-pid, pid]) {
        try { process.kill(target, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    // A process killed just now may still be finishing a write into the tree: retry the removal.
    rmSync(this.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}
