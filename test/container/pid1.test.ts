// svscan as PID 1 of a PID namespace, as in a container (`unshare --fork --pid --mount-proc`): it
// reaps every orphan, never steals the exit of a child of its own, and stops in order on TERM, then
// TERMs and KILLs what is left of the namespace.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ext, Sandbox, waitFor } from '../helpers/sandbox.ts';
import { exitOf } from '../svscan/helpers.ts';
import { CAN_UNSHARE, startPid1, UNSHARE_SKIP_REASON } from './helpers.ts';

let sb: Sandbox;
afterEach(() => sb?.cleanup());

describe.skipIf(!CAN_UNSHARE)('svscan as PID 1', () => {
  if (!CAN_UNSHARE) console.warn(UNSHARE_SKIP_REASON);

  it('reaps 1,000 orphans (no zombie left) while its own children still report their exits', async () => {
    sb = new Sandbox();
    // Once: 1,000 short-lived orphans (each a subshell's background sleep), then stays up.
    sb.service('scan/orphans', `#!/bin/sh
if [ ! -e ../made ]; then
  i=0
  while [ $i -lt 1000 ]; do ( sleep 0.01 & ) ; i=$((i+1)); done
  : > ../made
fi
exec sleep 100000
`);
    // Exits 7 at every start: each exit must reach its worker (restarts go on, lastExit recorded).
    const flapper = sb.service('scan/flapper', '#!/bin/sh\nexit 7\n');
    writeFileSync(join(flapper, 'backoff-threshold'), '1000000\n'); // no crash-loop backoff: restart at every hold
    const ns = await startPid1(sb, sb.path('scan'), ['--start-hold', '0.1']);
    await waitFor('the orphans made', () => existsSync(sb.path('scan/made')), 60_000);
    const restartsThen = ext(flapper)?.restarts ?? 0;
    const zombies = () => ns.processes().filter((p) => p.state === 'Z');
    await waitFor('no zombie in the namespace', () => zombies().length === 0 || undefined, 30_000, 100)
      .catch(() => { throw new Error(`zombies left: ${zombies().length}`); });
    // Every ./run exit is still seen: the flapper keeps restarting, and its exit code is known.
    await waitFor('the flapper to restart 10 more times', () => (ext(flapper)?.restarts ?? 0) >= restartsThen + 10, 30_000);
    expect(ext(flapper)?.lastExit?.code).toBe(7);
    // Every orphan has gone: only svscan, the flapper's current run (if any) and the sleeper live.
    expect(ns.processes().filter((p) => p.name === 'sleep').length).toBe(1);
    expect(ns.svscan.has((r) => r.msg === 'svscan is PID 1: reaping orphans')).toBe(true);
  }, 120_000);

  it('on TERM: services down, then leftover orphans TERMed and KILLed, exit 0, nothing left', async () => {
    sb = new Sandbox();
    const dir = sb.service('scan/daemon', `#!/bin/sh
# Two daemons leave the service's session (setsid), so stopping the service does not reach them:
# one ends on TERM (and says so), the other ignores it.
setsid sh -c 'trap "echo termed > ${sb.path('termed')}; exit 0" TERM; while :; do sleep 0.1; done' &
setsid sh -c 'trap "" TERM; exec sleep 100000' &
exec sleep 100000
`);
    const ns = await startPid1(sb, sb.path('scan'), ['--kill-timeout', '1']);
    await waitFor('service and both daemons', () => ns.processes().filter((p) => p.name === 'sleep').length >= 2 && ext(dir)?.pid);
    await waitFor('three sh/sleep processes besides svscan', () => ns.processes().length >= 4 || undefined);
    process.kill(ns.hostPid, 'SIGTERM');
    expect(await exitOf(ns.svscan)).toEqual({ code: 0, signal: null });
    expect(ns.processes()).toEqual([]);
    expect(existsSync(sb.path('termed'))).toBe(true);
    const msgs = ns.svscan.records().map((r) => r.msg);
    const order = ['every service is down', 'processes left after every service stopped: TERM, then KILL after the grace period', 'still alive 1000 ms after TERM: KILL', 'svscan exits'];
    expect(order.map((m) => msgs.indexOf(m)).every((i, k, all) => i >= 0 && (k === 0 || i > all[k - 1]!))).toBe(true);
  }, 60_000);
});
