// Restart backoff. daemontools restarts a crashing service once a second for ever; that hammers
// whatever it depends on and floods its log. svtools keeps that cadence for a service that dies
// rarely, and only slows down a crash loop:
//  - a "quick death" is an exit less than `resetMs` after its start; a longer run resets the count;
//    the first exit after an operator's signal (`svc -t`...) is neither: the worker skips it;
//  - the first `threshold` quick deaths in a row restart at daemontools' pace (the 1 s hold only),
//    which rides out a transient failure at once;
//  - each further quick death doubles the delay from `baseMs`, up to `maxMs`, minus up to `jitter`
//    of it at random, so that services failing together (a shared dependency down) spread out.

export interface BackoffPolicy {
  threshold: number;
  baseMs: number;
  maxMs: number;
  resetMs: number;
  /** Fraction of the delay that may be taken off at random, 0..1. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { threshold: 5, baseMs: 2000, maxMs: 60_000, resetMs: 10_000, jitter: 0.2 };

/** Consecutive quick deaths after an exit: 0 when the run lasted `resetMs` or more. */
export function nextQuickDeaths(policy: BackoffPolicy, quickDeaths: number, ranForMs: number): number {
  return ranForMs >= policy.resetMs ? 0 : quickDeaths + 1;
}

/** The delay before the next start, in ms, after `quickDeaths` consecutive quick deaths; 0 = none. */
export function backoffDelay(policy: BackoffPolicy, quickDeaths: number, random: () => number = Math.random): number {
  const beyond = quickDeaths - policy.threshold;
  if (beyond <= 0) return 0;
  const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** (beyond - 1));
  return Math.round(delay * (1 - policy.jitter * random()));
}
