// Parsing of the CLI's durations and sizes. A bare integer duration means minutes, as relaxlogs'
// --rotation-time and --max-age always did; sizes are bytes with binary (1024) suffixes, as
// rotating-file-stream and s6-log read them.

export class UsageError extends Error {}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `text`: `90`, `90m`, `1.5h`, `500ms`, `7d`. */
export function parseDuration(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new UsageError(`${flag}: bad duration '${text}' (use N, Nms, Ns, Nm, Nh or Nd)`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'm']!);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes of `text`: `1048576`, `64K`, `1MiB`, `2G`. */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${flag}: bad size '${text}' (use N, NK, NM or NG)`);
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}
