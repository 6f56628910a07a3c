// svstat DIR...: daemontools' lines (./line.ts), or one of the monitoring forms (./monitor.ts).
import type { ClientResult } from '../protocol/client-result.ts';
import { svstatLine } from './line.ts';
import { usesMonitorOptions } from './monitor-args.ts';
import { monitor } from './monitor.ts';

/**
 * Plain `svstat DIR...` is daemontools' and takes no options: every argument is a directory. Only
 * when an argument is one of svtools' monitoring options (--json, -o..., --format, --check, ...;
 * see ./monitor-args.ts) are options parsed at all.
 */
export function svstat(args: readonly string[]): ClientResult {
  if (usesMonitorOptions(args)) return monitor(args, 'svstat');
  return { out: args.map((dir) => svstatLine(dir)), err: [], code: 0 };
}
