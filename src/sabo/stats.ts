// What sabo reports on stderr: a stats line (-v as throttle, --verbose, --stats-interval, USR1) and a
// --progress line redrawn in place when stderr is a terminal.
import { formatBytes } from './units.ts';

export interface Snapshot {
  /** Written to stdout. */
  bytes: number;
  /** Read from stdin: more than `bytes` only while a write waits, or after an interrupted copy. */
  read: number;
  share: number;
  aggregate: number;
  peers: number;
}

function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.round(sec);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((v) => String(v).padStart(2, '0'));
  return (hms[0] === '00' ? hms.slice(1) : hms).join(':');
}

/** Current rate from the samples of the last couple of seconds. */
export class RateMeter {
  private samples: { t: number; bytes: number }[] = [];
  readonly started = performance.now();

  rate(bytes: number, t = performance.now()): number {
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[1]!.t > 2000) this.samples.shift();
    const first = this.samples[0]!;
    return t > first.t ? ((bytes - first.bytes) * 1000) / (t - first.t) : 0;
  }
}

export function statsLine(name: string, s: Snapshot, elapsedMs: number): string {
  const avg = elapsedMs > 0 ? (s.bytes * 1000) / elapsedMs : 0;
  const unwritten = s.read > s.bytes ? ` (${s.read - s.bytes} bytes read not written)` : '';
  return `${name}: ${formatBytes(s.bytes)}${unwritten} in ${(elapsedMs / 1000).toFixed(1)} s, ${formatBytes(avg)}/s average, ` +
    `share ${formatBytes(s.share)}/s of ${formatBytes(s.aggregate)}/s, ${s.peers} ${s.peers === 1 ? 'process' : 'processes'}\n`;
}

export function progressLine(s: Snapshot, rate: number, elapsedMs: number, size: number | undefined): string {
  let line = `${formatBytes(s.bytes)} ${formatDuration(elapsedMs / 1000)} [${formatBytes(rate)}/s] share ${formatBytes(s.share)}/s (${s.peers})`;
  if (size !== undefined && size > 0) {
    const pct = Math.min(100, (s.bytes * 100) / size);
    const eta = rate > 0 ? Math.max(0, size - s.bytes) / rate : Infinity;
    line += ` ${pct.toFixed(0)}% ETA ${formatDuration(eta)}`;
  }
  return line;
}
