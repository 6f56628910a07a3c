// tai64n: each line gets `@` + 24 hex digits + space, the TAI64N label of the moment its first byte
// was read. All lines that begin in one read() share that read's label (daemontools reads 1 KiB at a
// time and stamps each line as it reaches it, microseconds apart). A last line without a newline is
// labelled and written as it is, without a newline added, as daemontools does.
import { encodeTai64n } from '../protocol/tai64n.ts';
import { taiaNow } from './clock.ts';
import type { Transform } from './filter.ts';

/** `@`, 24 hex digits and a space. */
const LABEL_LENGTH = 26;
const NL = 10;

export function labeller(now = taiaNow): Transform {
  const label = Buffer.alloc(LABEL_LENGTH);
  label[0] = 0x40; // '@'
  label[LABEL_LENGTH - 1] = 0x20;
  const raw = Buffer.alloc(12);
  let atLineStart = true;
  let out = Buffer.alloc(0);
  return {
    chunk(chunk) {
      encodeTai64n(now(), raw);
      label.write(raw.toString('hex'), 1, 'latin1');
      let starts = atLineStart ? 1 : 0;
      for (let i = chunk.indexOf(NL); i !== -1 && i + 1 < chunk.length; i = chunk.indexOf(NL, i + 1)) starts++;
      const size = chunk.length + starts * LABEL_LENGTH;
      if (out.length < size) out = Buffer.allocUnsafe(Math.max(size, out.length * 2));
      let pos = 0;
      let from = 0;
      if (!atLineStart) {
        const nl = chunk.indexOf(NL);
        from = nl === -1 ? chunk.length : nl + 1;
        pos = chunk.copy(out, 0, 0, from);
      }
      while (from < chunk.length) {
        out.set(label, pos);
        pos += LABEL_LENGTH;
        const nl = chunk.indexOf(NL, from);
        const to = nl === -1 ? chunk.length : nl + 1;
        pos += chunk.copy(out, pos, from, to);
        from = to;
      }
      atLineStart = chunk[chunk.length - 1] === NL;
      return out.subarray(0, pos);
    },
    end: () => Buffer.alloc(0),
  };
}
