// "Signal now, KILL later", the one way the worker escalates: stop() (down-signal and CONT to the
// group, KILL after the stop timeout), the sweep of a group's leftovers, timeout-kill after `svc -d`,
// and timeout-finish for ./finish. Every pending KILL of a worker is one of its Escalations, so that
// releasing the directory cancels them all at once.

export interface Escalation {
  /** Delivers a signal to the target: a child, an adopted pid, a process group. */
  signal: (sig: NodeJS.Signals) => void;
  /** Sent at once, in this order. */
  now?: NodeJS.Signals[];
  /** SIGKILL this long after, unless cancelled first; undefined: none. */
  killAfterMs: number | undefined;
  /** Where the KILL goes when not where `signal` sends (the group after signals to ./run alone). */
  kill?: (sig: 'SIGKILL') => void;
  /** Asked right before the KILL: false when it is no longer due. The place to warn that it is. */
  killDue?: () => boolean;
}

export class Escalations {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Sends `now`, then arms the KILL; returns its cancel, undefined when no KILL is due. */
  start(escalation: Escalation): (() => void) | undefined {
    const { signal, now = [], killAfterMs, kill = signal, killDue } = escalation;
    for (const sig of now) signal(sig);
    if (killAfterMs === undefined) return undefined;
    return this.after(killAfterMs, () => {
      if (killDue?.() ?? true) kill('SIGKILL');
    });
  }

  /** Runs `action` after `ms` unless the returned cancel (or cancelAll) runs first. */
  after(ms: number, action: () => void): () => void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      action();
    }, ms);
    this.pending.add(timer);
    return () => {
      clearTimeout(timer);
      this.pending.delete(timer);
    };
  }

  cancelAll(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
