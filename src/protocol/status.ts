// The 18-byte `supervise/status` file of daemontools 0.76:
//   0-11  TAI64N of the last start or exit
//   12-15 pid of ./run, little-endian, 0 when down
//   16    1 when paused (only meaningful while up)
//   17    'u' or 'd' for the wanted state, 0 after `svc -o`
import { decodeTai64n, encodeTai64n, type Timestamp } from './tai64n.ts';

export const STATUS_SIZE = 18;

export type Want = 'up' | 'down' | 'once';

export interface Status {
  /** Time of the last start or exit. */
  since: Timestamp;
  /** Pid of the running ./run, 0 when down. */
  pid: number;
  paused: boolean;
  want: Want;
}

const WANT_BYTE: Record<Want, number> = { up: 0x75, down: 0x64, once: 0 };

export function encodeStatus(status: Status): Buffer {
  const buf = Buffer.alloc(STATUS_SIZE);
  encodeTai64n(status.since, buf, 0);
  buf.writeUInt32LE(status.pid, 12);
  buf[16] = status.pid && status.paused ? 1 : 0;
  buf[17] = WANT_BYTE[status.want];
  return buf;
}

/** Decodes a status file; `undefined` when it is shorter than 18 bytes (daemontools: "bad format"). */
export function decodeStatus(buf: Buffer): Status | undefined {
  if (buf.length < STATUS_SIZE) return undefined;
  const wantByte = buf[17];
  return {
    since: decodeTai64n(buf, 0),
    pid: buf.readUInt32LE(12),
    paused: buf[16] !== 0,
    // daemontools' svstat only tests for 'u' and 'd'; anything else reads as "once".
    want: wantByte === WANT_BYTE.up ? 'up' : wantByte === WANT_BYTE.down ? 'down' : 'once',
  };
}
