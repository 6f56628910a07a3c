// Plumbing for container tests: svscan as PID 1 of a new PID namespace (`unshare --fork` makes its
// child PID 1 there), and the namespace's processes as seen from outside.
import { readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Sandbox } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/sandbox.ts';
import { startSvscan, type Svscan } from '../svscan/helpers.ts';

/** Whether this machine lets us make PID namespaces (root, util-linux's unshare). */
export const CAN_UNSHARE = spawnSync('unshare', ['--fork', '--pid', '--mount-proc', 'true'], { stdio: 'ignore' }).status === 0;
export const UNSHARE_SKIP_REASON = 'unshare --pid is not permitted here (needs root and util-linux): PID 1 tests skipped';

/** `--kill-child`: a KILL of unshare (the sandbox's cleanup) kills svscan, and with it the namespace. */
const UNSHARE = ['unshare', '--fork', '--pid', '--mount-proc', '--kill-child'];

export interface Pid1 {
  svscan: Svscan;
  /** svscan's pid outside the namespace (it is 1 inside). */
  hostPid: number;
  /** The namespace's processes, by host pid, with their state letter. */
  processes: () => { pid: number; state: string; name: string }[];
}

export async function startPid1(sb: Sandbox, scanDir: string, args: string[] = []): Promise<Pid1> {
  const svscan = startSvscan(sb, scanDir, args, { command: UNSHARE });
  const hostPid = await waitFor('svscan inside the namespace', () => {
    try {
      const first = readFileSync(`/proc/${svscan.pid}/task/${svscan.pid}/children`, 'latin1').trim().split(' ')[0];
      return first ? Number(first) : undefined;
    } catch {
      return undefined;
    }
  });
  const ns = readlinkSync(`/proc/${hostPid}/ns/pid`);
  const processes = () => readdirSync('/proc').map(Number).filter((p) => Number.isInteger(p) && p > 0).flatMap((pid) => {
    try {
      if (readlinkSync(`/proc/${pid}/ns/pid`) !== ns) return [];
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      return [{ pid, state: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!, name }];
    } catch {
      return [];
    }
  });
  return { svscan, hostPid, processes };
}
