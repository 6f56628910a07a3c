// The strftime subset used for file names (--pattern) and line labels (--time-format), formatted
// from wall-clock fields so that any zone works, plus the regular expression of every name a pattern
// can produce, so that purge deletes our own files and nothing else (relaxlogs' `log.*` glob did).
import { UsageError } from './units.ts';
import type { Wall } from './zone.ts';

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const p2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const p3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** `+hhmm`, or `+hh:mm` with `colon`. */
export function formatOffset(minutes: number, colon = false): string {
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${colon ? ':' : ''}${p2(a % 60)}`;
}

function dayOfYear(w: Wall): number {
  return Math.round((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / 86_400_000) + 1;
}

type Directive = { format: (w: Wall, zoneName: () => string) => string; regex: string };

const DIRECTIVES: Record<string, Directive> = {
  Y: { format: (w) => `${w.year}`, regex: '\\d{4}' },
  y: { format: (w) => p2(w.year % 100), regex: '\\d{2}' },
  m: { format: (w) => p2(w.month), regex: '\\d{2}' },
  d: { format: (w) => p2(w.day), regex: '\\d{2}' },
  e: { format: (w) => (w.day < 10 ? ` ${w.day}` : `${w.day}`), regex: '[ \\d]\\d' },
  H: { format: (w) => p2(w.hour), regex: '\\d{2}' },
  I: { format: (w) => p2(w.hour % 12 || 12), regex: '\\d{2}' },
  p: { format: (w) => (w.hour < 12 ? 'AM' : 'PM'), regex: '(?:AM|PM)' },
  M: { format: (w) => p2(w.minute), regex: '\\d{2}' },
  S: { format: (w) => p2(w.second), regex: '\\d{2}' },
  L: { format: (w) => p3(w.millisecond), regex: '\\d{3}' },
  j: { format: (w) => p3(dayOfYear(w)), regex: '\\d{3}' },
  b: { format: (w) => MONTHS[w.month - 1]!, regex: '[A-Z][a-z]{2}' },
  h: { format: (w) => MONTHS[w.month - 1]!, regex: '[A-Z][a-z]{2}' },
  B: { format: (w) => MONTHS_LONG[w.month - 1]!, regex: '[A-Z][a-z]+' },
  a: { format: (w) => DAYS[w.weekday]!, regex: '[A-Z][a-z]{2}' },
  A: { format: (w) => DAYS_LONG[w.weekday]!, regex: '[A-Z][a-z]+' },
  z: { format: (w) => formatOffset(w.offset), regex: '[+-]\\d{4}' },
  Z: { format: (_w, zoneName) => zoneName(), regex: '[A-Za-z0-9+-]+' },
  s: { format: (w) => `${Math.floor((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - w.offset * 60_000) / 1000)}`, regex: '\\d+' },
  F: { format: (w) => `${w.year}-${p2(w.month)}-${p2(w.day)}`, regex: '\\d{4}-\\d{2}-\\d{2}' },
  T: { format: (w) => `${p2(w.hour)}:${p2(w.minute)}:${p2(w.second)}`, regex: '\\d{2}:\\d{2}:\\d{2}' },
  '%': { format: () => '%', regex: '%' },
};

type Piece = string | Directive;

/** A compiled pattern; throws UsageError on an unknown or dangling `%`. */
export class Strftime {
  private readonly pieces: Piece[] = [];

  constructor(readonly pattern: string, flag: string) {
    let literal = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c !== '%') { literal += c; continue; }
      const d = DIRECTIVES[pattern[++i] ?? ''];
      if (!d) throw new UsageError(`${flag}: unsupported strftime directive '%${pattern[i] ?? ''}' in '${pattern}'`);
      if (literal) this.pieces.push(literal);
      literal = '';
      this.pieces.push(d);
    }
    if (literal) this.pieces.push(literal);
  }

  format(w: Wall, zoneName: () => string = () => 'UTC'): string {
    let out = '';
    for (const p of this.pieces) out += typeof p === 'string' ? p : p.format(w, zoneName);
    return out;
  }

  /** Source of a regular expression matching every output of this pattern. */
  regexSource(): string {
    return this.pieces.map((p) => (typeof p === 'string' ? p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : p.regex)).join('');
  }
}
