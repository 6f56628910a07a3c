// Changing the rate of a running sabo: a control file re-read at every refresh and on HUP (put it in
// the work dir and the whole group follows), or throttle's `-l FIFO` server and `-t FIFO` client.
// FIFO messages are text lines, `rate <bytes/s>` and `verbose 0|1`, not throttle's binary struct.
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { makeFifo, openFifoReader, openFifoWriter, type FifoReader } from '../protocol/fifo.ts';
import { parseRate, type UnitSystem } from './units.ts';

/** The rate in a control file; undefined when the file is absent. Throws on unparsable content. */
export function readControlFile(path: string, units: UnitSystem): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseRate(text.trim(), units);
}

export interface ControlMessage {
  rate?: number;
  verbose?: boolean;
}

export function encodeControlMessage(m: ControlMessage): string {
  let text = '';
  if (m.rate !== undefined) text += `rate ${m.rate}\n`;
  if (m.verbose !== undefined) text += `verbose ${m.verbose ? 1 : 0}\n`;
  return text;
}

/** Parses one line; undefined for lines it does not understand (ignored, as throttle does). */
export function decodeControlLine(line: string): ControlMessage | undefined {
  const [word, value] = line.trim().split(/\s+/);
  if (word === 'rate' && value !== undefined) {
    const rate = Number(value);
    return rate > 0 ? { rate } : undefined;
  }
  if (word === 'verbose' && (value === '0' || value === '1')) return { verbose: value === '1' };
  return undefined;
}

/** `-l FIFO`: creates the FIFO (0666, as throttle) and calls `onMessage` for each line written to it. */
export async function listenFifo(path: string, onMessage: (m: ControlMessage) => void): Promise<FifoReader> {
  await makeFifo(path, 0o666);
  const reader = openFifoReader(path);
  let pending = '';
  reader.socket.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const m = decodeControlLine(line);
      if (m) onMessage(m);
    }
  });
  return reader;
}

/** `-t FIFO`: sends a message to a running `-l` server. Throws ENXIO when nobody listens. */
export function tellFifo(path: string, m: ControlMessage): void {
  const fd = openFifoWriter(path);
  try {
    writeSync(fd, encodeControlMessage(m));
  } finally {
    closeSync(fd);
  }
}
