// svscan's own messages: pino JSON lines on stderr, or a short readable line per message on a TTY.
// No readproctitle: a message is written once, in full, where the operator's log collector looks.
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { pino, type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Record<number, string> = { 20: '\x1b[90m', 30: '\x1b[36m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[35m' };
const OMIT = new Set(['level', 'time', 'msg', 'hostname', 'name']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/** One pino JSON line as `HH:MM:SS.mmm LEVEL message key=value ...` (what pino-pretty would print, tiny). */
export function prettyLine(json: string, colour: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = Number(record.level);
  const time = typeof record.time === 'number' ? new Date(record.time) : new Date();
  const clock = time.toTimeString().slice(0, 8) + '.' + String(time.getMilliseconds()).padStart(3, '0');
  const name = LEVEL_NAMES[level] ?? String(record.level);
  const levelText = colour ? `${LEVEL_COLOURS[level] ?? ''}${name.padEnd(5)}\x1b[0m` : name.padEnd(5);
  const extras = Object.entries(record)
    .filter(([key]) => !OMIT.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return `${clock} ${levelText} ${String(record.msg ?? '')}${extras.length ? ' ' + extras.join(' ') : ''}\n`;
}

/** Writes each line synchronously to `fd`, so nothing is lost when svscan exits right after. */
function syncDestination(fd: number, transform?: (line: string) => string) {
  return {
    write(line: string): void {
      const out = transform ? transform(line) : line;
      try {
        writeSync(fd, out);
      } catch {
        // stderr closed or full: svscan's messages must never stop supervision.
      }
    },
  };
}

/** Takes each JSON line, whole, and writes it before returning. */
export interface LineDestination {
  write(line: string): void;
}

/** Messages to `fd`; JSON lines to `destination` instead when given (svscan --log-dir: own-log.ts). */
export function createLogger(format: LogFormat, fd = 2, level = 'info', destination?: LineDestination): Logger {
  const colour = format === 'pretty' && process.env.NO_COLOR === undefined && isatty(fd);
  const out = destination ?? (format === 'pretty' ? syncDestination(fd, (line) => prettyLine(line, colour)) : syncDestination(fd));
  return pino({ name: 'svscan', level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime }, out);
}

export type { Logger };
