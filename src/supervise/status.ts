// The state of one supervised service as supervise/status (daemontools' 18 bytes) and
// supervise/status.json (svtools' extended status) record it. The worker's parts (child.ts,
// finish-script.ts, worker.ts) change these fields, then announce(): one write of both files, through
// the charge that holds the directory (charge.ts).
import { EXTENDED_STATUS_VERSION, type ExtendedStatus, type LastExit } from '../protocol/extended-status.ts';
import type { Status, Want } from '../protocol/status.ts';
import { now, toMilliseconds, type Timestamp } from '../protocol/tai64n.ts';
import type { ServiceCharge } from './charge.ts';

export class ServiceState {
  /** Pid of the running ./run (ours or adopted), 0 when down. */
  pid = 0;
  /** Start ticks of `pid` (field 22 of /proc/PID/stat), null when unknown. */
  startTicks: number | null = null;
  /** When `pid` last changed: the last start or exit. */
  since: Timestamp = now();
  /** Epoch ms when the service became ready, null while not (or not up). */
  readySince: number | null = null;
  starts = 0;
  lastExit: LastExit | null = null;
  /** Epoch ms when a backoff ends, null when none runs. */
  backoffUntil: number | null = null;
  /** `pid` is a process taken over from an earlier supervisor rather than our own child. */
  adopted = false;
  /** Group members found alive after the last exit. */
  leftovers = 0;
  /** Pid of the running ./finish, 0 when none runs. */
  finishPid = 0;
  /** daemontools' flagwant/flagwantup: 'once' after `svc -o`. */
  want: Want = 'up';
  paused = false;

  /** Set once the directory is held; announce() writes nothing before. */
  charge: ServiceCharge | undefined;
  /** Write status.json too. */
  private readonly extended: boolean;

  constructor(extended: boolean) {
    this.extended = extended;
  }

  /** ./run started (`pid`) or ended (0) now. */
  pidChange(pid: number): void {
    this.pid = pid;
    this.since = now();
  }

  /** The state as written to `supervise/status`. */
  get status(): Status {
    return { since: this.since, pid: this.pid, paused: this.paused, want: this.want };
  }

  /** The content of supervise/status.json as it would be written now. */
  get extendedStatus(): ExtendedStatus {
    return {
      version: EXTENDED_STATUS_VERSION,
      pid: this.pid,
      pgid: this.pid,
      pidStartTicks: this.pid ? this.startTicks : null,
      since: toMilliseconds(this.since),
      readySince: this.pid ? this.readySince : null,
      restarts: Math.max(0, this.starts - 1),
      lastExit: this.lastExit,
      backoffUntil: this.backoffUntil,
      adopted: this.adopted,
      leftovers: this.leftovers,
      finishPid: this.finishPid,
    };
  }

  /** status, and status.json unless turned off: what announce() writes. */
  toWrite(): [Status, ExtendedStatus?] {
    return [this.status, this.extended ? this.extendedStatus : undefined];
  }

  /** Writes the status files; a failure is reported by the charge and supervision goes on, as in daemontools. */
  announce(): void {
    this.charge?.writeStatus(...this.toWrite());
  }
}
