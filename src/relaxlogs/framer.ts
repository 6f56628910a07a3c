// Turns the bytes read into the bytes written: a label at the start of each line, the long-line
// policy, and a final newline for a last line that has none. Bytes are never reinterpreted (binary
// and `\r` pass through). Output collects in one reused buffer handed to `flush` when full or when
// the caller says so, so a fast producer costs one write(2) per read(2), not one per line.

export type LongLines = 'split' | 'truncate' | 'keep';

export interface FramerOptions {
  /** Longest line body in bytes before the policy applies; 0 = no limit. */
  maxLine: number;
  longLines: LongLines;
  /** Capacity of the output buffer. */
  bufferSize: number;
}

const NL = 10;
const NEWLINE = Buffer.from('\n');

export class Framer {
  private readonly out: Buffer;
  private used = 0;
  /** True when the next byte starts a line. */
  atLineStart = true;
  /** Body bytes of the current line so far. */
  private lineLength = 0;
  /** Dropping the rest of a truncated line. */
  private dropping = false;

  constructor(private readonly options: FramerOptions, private readonly flushTo: (bytes: Buffer) => void) {
    this.out = Buffer.allocUnsafe(Math.max(options.bufferSize, 64 * 1024));
  }

  /** Frames `chunk`; `label` (or null) starts each line. */
  push(chunk: Buffer, label: Buffer | null): void {
    const { maxLine, longLines } = this.options;
    const limited = maxLine > 0 && longLines !== 'keep';
    if (label === null && !this.dropping && (!limited || this.lineLength + chunk.length <= maxLine)) {
      // Fast path: nothing to insert or cut anywhere in this chunk.
      this.emit(chunk, 0, chunk.length);
      const last = chunk.lastIndexOf(NL);
      if (last < 0) this.lineLength += chunk.length;
      else this.lineLength = chunk.length - last - 1;
      this.atLineStart = chunk.length === 0 ? this.atLineStart : chunk[chunk.length - 1] === NL;
      return;
    }
    let pos = 0;
    const n = chunk.length;
    if (label !== null && this.atLineStart && !this.dropping) pos = this.wholeLines(chunk, label, limited ? maxLine : Infinity);
    while (pos < n) {
      if (this.dropping) {
        const nl = chunk.indexOf(NL, pos);
        if (nl < 0) return;
        pos = nl + 1;
        this.dropping = false;
        continue;
      }
      if (this.atLineStart && label !== null) this.emit(label, 0, label.length);
      const nl = chunk.indexOf(NL, pos);
      const bodyEnd = nl < 0 ? n : nl;
      if (limited && this.lineLength + (bodyEnd - pos) > maxLine) {
        const cut = pos + (maxLine - this.lineLength);
        this.emit(chunk, pos, cut);
        this.emit(NEWLINE, 0, 1);
        this.lineLength = 0;
        this.atLineStart = true;
        pos = cut;
        if (longLines === 'truncate') this.dropping = true;
        continue;
      }
      const end = nl < 0 ? n : nl + 1;
      this.emit(chunk, pos, end);
      if (nl < 0) {
        this.lineLength += end - pos;
        this.atLineStart = false;
      } else {
        this.lineLength = 0;
        this.atLineStart = true;
      }
      pos = end;
    }
  }

  /** The hot loop: labels and copies complete lines while they fit; returns where it stopped, at a
   * line start. (TypedArray.set beats Buffer.copy for 100-byte lines.) */
  private wholeLines(chunk: Buffer, label: Buffer, maxLine: number): number {
    const out = this.out;
    const labelLength = label.length;
    let used = this.used;
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0 || nl - pos > maxLine || used + labelLength + nl + 1 - pos > out.length) break;
      out.set(label, used);
      used += labelLength;
      out.set(chunk.subarray(pos, nl + 1), used);
      used += nl + 1 - pos;
      pos = nl + 1;
    }
    this.used = used;
    return pos;
  }

  /** Ends a partial line (end of input, or TERM after the last-line timeout). */
  endLine(): void {
    if (this.atLineStart) return;
    this.emit(NEWLINE, 0, 1);
    this.lineLength = 0;
    this.atLineStart = true;
  }

  /** Bytes waiting in the buffer. */
  get pending(): number {
    return this.used;
  }

  flush(): void {
    if (this.used === 0) return;
    const bytes = this.out.subarray(0, this.used);
    this.used = 0;
    this.flushTo(bytes);
  }

  private emit(src: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len === 0) return;
    if (this.used + len > this.out.length) {
      this.flush();
      if (len > this.out.length) {
        this.flushTo(src.subarray(start, end));
        return;
      }
    }
    src.copy(this.out, this.used, start, end);
    this.used += len;
  }
}
