// svscan as a container's PID 1, or as a child subreaper (doc/svscan.md, "As PID 1"): orphans are
// reparented to us and, unreaped, stay zombies forever, since libuv reaps only the children it spawned.
//
// Node has no waitpid(2): it comes from libc through koffi (an FFI with prebuilt binaries, no
// compiler), loaded only here, only when svscan is PID 1 or asked to be a subreaper (~3 ms, ~3-6 MB).
// A plain waitpid(-1) loop would steal the exit status of children that child_process owns (their
// 'exit' would never come), so we reap by pid, and only zombies that are provably not libuv's:
//   - children of the main thread only (/proc/PID/task/PID/children): an orphan is reparented to the
//     reaper's main thread, a child spawned by a worker thread (the logger thread) stays its thread's;
//   - a zombie seen at one sweep and still a zombie (same start time) at a sweep SETTLE_MS later: libuv
//     reaps every exited child it owns as soon as the loop handles the SIGCHLD, which it does in any
//     turn of the loop in between, so one still there is nobody's but ours.
// After svscan's orderly stop, the processes left (the whole namespace as PID 1, our remaining
// children as a subreaper) get TERM and CONT, then KILL after the grace period.
import { readdirSync, readFileSync } from 'node:fs';
import { readProcStat } from '../supervise/proc-stat.ts';
import type { Logger } from './diagnostics.ts';

/** How long a zombie child must stay one before we take it for an orphan (see above). */
const SETTLE_MS = 250;
/** Polling while leftovers die. */
const LEFTOVER_POLL_MS = 50;
/** Longest wait for KILLed leftovers to be gone. */
const KILL_WAIT_MS = 2000;
const WNOHANG = 1;
const PR_SET_CHILD_SUBREAPER = 36;

interface Libc {
  waitpid(pid: number, status: number[], options: number): number;
  prctl(option: number, arg2: number, arg3: number, arg4: number, arg5: number): number;
}

async function loadLibc(): Promise<Libc> {
  const { default: koffi } = await import('koffi');
  const lib = koffi.load('libc.so.6');
  return {
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)'),
    prctl: lib.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
  };
}

/** Children of this process's main thread (CONFIG_PROC_CHILDREN), else by a scan of /proc. */
function mainThreadChildren(): number[] {
  const pid = process.pid;
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
  } catch {
    return readdirSync('/proc').map(Number).filter((p) => Number.isInteger(p) && p > 0 && readProcStat(p)?.ppid === pid);
  }
}

/** Every process of the PID namespace but us. */
function namespaceProcesses(): number[] {
  return readdirSync('/proc').map(Number).filter((p) => Number.isInteger(p) && p > 0 && p !== process.pid);
}

const isLive = (pid: number): boolean => {
  const state = readProcStat(pid)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X';
};

export class OrphanReaper {
  /** Zombie children seen at the last sweep: pid -> [start ticks, first seen at (epoch ms)]. */
  private seen = new Map<number, [number, number]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly onSigchld = (): void => this.sweepSoon();
  /** Orphans reaped since start. */
  reaped = 0;

  private constructor(private readonly libc: Libc, private readonly log: Logger, readonly role: 'pid1' | 'subreaper') {}

  /**
   * As PID 1: reaps orphans. Else when `subreaper`: makes svscan the child subreaper (double-forked
   * daemons of services stay under it, and are reaped). Else nothing is loaded: undefined.
   */
  static async start(log: Logger, subreaper: boolean): Promise<OrphanReaper | undefined> {
    const role = process.pid === 1 ? 'pid1' : subreaper ? 'subreaper' : undefined;
    if (!role) return undefined;
    const libc = await loadLibc();
    if (role === 'subreaper' && libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) {
      throw new Error('prctl(PR_SET_CHILD_SUBREAPER) failed: this kernel refuses svscan as a subreaper; run without --subreaper');
    }
    const reaper = new OrphanReaper(libc, log, role);
    process.on('SIGCHLD', reaper.onSigchld);
    reaper.sweepSoon();
    log.info({ role }, role === 'pid1' ? 'svscan is PID 1: reaping orphans' : 'svscan is a child subreaper: reaping orphans');
    return reaper;
  }

  private sweepSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sweep();
    }, SETTLE_MS);
    this.timer.unref();
  }

  /** Reaps the zombies that were already zombies at the last sweep; remembers the new ones. */
  sweep(): void {
    const now = performance.now();
    const next = new Map<number, [number, number]>();
    for (const pid of mainThreadChildren()) {
      const stat = readProcStat(pid);
      if (stat?.state !== 'Z') continue;
      const before = this.seen.get(pid);
      if (before && before[0] === stat.startTicks && now - before[1] >= SETTLE_MS) {
        if (this.libc.waitpid(pid, [0], WNOHANG) === pid) this.reaped++;
        continue;
      }
      next.set(pid, before && before[0] === stat.startTicks ? before : [stat.startTicks, now]);
    }
    this.seen = next;
    if (next.size > 0) this.sweepSoon();
  }

  /**
   * After the orderly stop: what is left (every process of the namespace as PID 1, our children as a
   * subreaper) gets TERM and CONT, and KILL after `graceMs`; resolves once none is left alive.
   */
  async endLeftovers(graceMs: number): Promise<void> {
    const leftovers = (): number[] => (this.role === 'pid1' ? namespaceProcesses() : mainThreadChildren()).filter(isLive);
    const signal = (pids: number[], sig: NodeJS.Signals): void => {
      for (const pid of pids) {
        try {
          process.kill(pid, sig);
        } catch {
          // Gone meanwhile.
        }
      }
    };
    let left = leftovers();
    if (left.length === 0) return;
    this.log.info({ count: left.length, graceMs }, 'processes left after every service stopped: TERM, then KILL after the grace period');
    signal(left, 'SIGTERM');
    signal(left, 'SIGCONT');
    const deadline = performance.now() + graceMs;
    while ((left = leftovers()).length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, LEFTOVER_POLL_MS));
    if (left.length > 0) {
      this.log.warn({ count: left.length, pids: left.slice(0, 20) }, `still alive ${graceMs} ms after TERM: KILL`);
      signal(left, 'SIGKILL');
      // Bounded: a process stuck in the kernel (state D) dies only when it leaves it.
      const killDeadline = performance.now() + KILL_WAIT_MS;
      while (leftovers().length > 0 && performance.now() < killDeadline) await new Promise((r) => setTimeout(r, LEFTOVER_POLL_MS));
    }
  }

  stop(): void {
    process.off('SIGCHLD', this.onSigchld);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
