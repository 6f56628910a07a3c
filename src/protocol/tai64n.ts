// TAI64N labels as daemontools writes them: 8 bytes of 2^62 + 10 + unix seconds, then 4 bytes of
// nanoseconds, both big-endian. (daemontools adds a fixed 10 s and ignores leap seconds; so do we.)

const TAI64_UNIX_OFFSET = 2n ** 62n + 10n;

export interface Timestamp {
  /** Unix seconds. */
  seconds: number;
  /** 0 <= nanoseconds < 1e9. */
  nanoseconds: number;
}

export function now(): Timestamp {
  return fromMilliseconds(Date.now());
}

export function fromMilliseconds(ms: number): Timestamp {
  return { seconds: Math.floor(ms / 1000), nanoseconds: (ms % 1000) * 1_000_000 };
}

export function encodeTai64n(t: Timestamp, into: Buffer = Buffer.alloc(12), offset = 0): Buffer {
  into.writeBigUInt64BE(TAI64_UNIX_OFFSET + BigInt(t.seconds), offset);
  into.writeUInt32BE(t.nanoseconds, offset + 8);
  return into;
}

export function decodeTai64n(buf: Buffer, offset = 0): Timestamp {
  const label = buf.readBigUInt64BE(offset);
  return { seconds: Number(label - TAI64_UNIX_OFFSET), nanoseconds: buf.readUInt32BE(offset + 8) };
}

/** The label's text form as tai64n(8) prints it: `@` and 24 hex digits. */
export function formatTai64n(t: Timestamp): string {
  return `@${encodeTai64n(t).toString('hex')}`;
}

export function toMilliseconds(t: Timestamp): number {
  return t.seconds * 1000 + Math.floor(t.nanoseconds / 1_000_000);
}
