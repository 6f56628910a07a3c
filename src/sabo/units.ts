// Rates, sizes and durations as sabo, pv and throttle spell them. Sizes follow go-humanize's
// ParseBytes exactly (what Go sabo uses): bytes only, K/KB = 1000, KiB = 1024, decimals, commas,
// an optional space, any case. On top of that: `bit`/`bps` suffixes for bits, an optional `/s`, and
// `--units iec`, under which bare K/M/G... are binary as in pv and cstream.

export type UnitSystem = 'si' | 'iec';

const PREFIXES = ['', 'k', 'm', 'g', 't', 'p', 'e'];

function prefixMultiplier(prefix: string, binary: boolean, units: UnitSystem): number | undefined {
  const i = PREFIXES.indexOf(prefix);
  if (i < 0) return undefined;
  return (binary || units === 'iec' ? 1024 : 1000) ** i;
}

/** Multiplier of a unit word, in bytes; undefined when the word is not a unit. */
function unitMultiplier(word: string, units: UnitSystem): number | undefined {
  // Bits: 100Mbit, 100mbps, 64kibit, 8bit.
  const bits = /^([kmgtpe]?)(i?)(?:bits?|bps)$/.exec(word);
  if (bits) {
    const m = prefixMultiplier(bits[1]!, bits[2] === 'i', units);
    return m === undefined ? undefined : m / 8;
  }
  if (word === '' || word === 'b') return 1;
  // go-humanize: k, kb -> 1000; ki, kib -> 1024 (and so on up to e).
  const bytes = /^([kmgtpe])(i?)(b?)$/.exec(word);
  if (!bytes) return undefined;
  return prefixMultiplier(bytes[1]!, bytes[2] === 'i', units);
}

/** Parses a size or rate in bytes (or bytes/s). Throws a RangeError with a usage message. */
export function parseSize(text: string, units: UnitSystem = 'si'): number {
  const m = /^([0-9.,]*)(.*)$/s.exec(String(text))!;
  const digits = m[1]!.replaceAll(',', '');
  let word = m[2]!.trim().toLowerCase();
  if (word.endsWith('/s')) word = word.slice(0, -2);
  const value = digits === '' || !/^(\d+\.?\d*|\.\d+)$/.test(digits) ? NaN : Number(digits);
  const mult = unitMultiplier(word, units);
  if (!Number.isFinite(value) || mult === undefined) throw new RangeError(`invalid size: ${JSON.stringify(text)}`);
  return value * mult;
}

/** A rate in bytes/s, which must be > 0. */
export function parseRate(text: string, units: UnitSystem = 'si'): number {
  const rate = parseSize(text, units);
  if (!(rate > 0)) throw new RangeError(`rate must be greater than 0: ${JSON.stringify(text)}`);
  return rate;
}

const DURATION_UNITS: Record<string, number> = { '': 1000, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style duration (`1s`, `250ms`, `1.5s`, `2m`); a bare number means seconds. Returns ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+\.?\d*|\.\d+)\s*(ms|s|m|h|)$/.exec(String(text).trim().toLowerCase());
  if (!m) throw new RangeError(`invalid duration: ${JSON.stringify(text)}`);
  const ms = Number(m[1]) * DURATION_UNITS[m[2]!]!;
  if (!(ms > 0)) throw new RangeError(`duration must be greater than 0: ${JSON.stringify(text)}`);
  return ms;
}

/** `--burst SIZE|DUR`: a duration of the current rate (`1s`, `500ms`) or a fixed size (`1M`). */
export type Burst = { seconds: number } | { bytes: number };

export function parseBurst(text: string, units: UnitSystem = 'si'): Burst {
  if (/^\s*(\d+\.?\d*|\.\d+)\s*(ms|s)\s*$/i.test(text)) return { seconds: parseDuration(text) / 1000 };
  return { bytes: parseSize(text, units) };
}

/** Human form of a byte count or rate, SI as sabo prints its units: `12.3 MB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return i === 0 ? `${Math.round(n)} B` : `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[i]}`;
}
