// relaxlogs' own messages on stderr: one JSON line each, in pino's shape ({"level":30,"time":...,
// "pid":...,"name":"relaxlogs",...fields,"msg":...}), so that what read pino's lines still reads
// these. Not pino itself: a handful of messages did not justify its ~3.5 MB RSS and ~10 ms a start in
// every logger (bench/companions.bench.mjs, doc/design.md). Written synchronously, so a message
// printed just before exit is never lost.
import { writeSync } from 'node:fs';

const LEVELS = { info: 30, warn: 40, error: 50, fatal: 60 } as const;

export type Diagnostics = {
  [L in keyof typeof LEVELS]: (fieldsOrMessage: object | string, message?: string) => void;
};

export function createDiagnostics(name: string, fd = 2): Diagnostics {
  const line = (level: number, fieldsOrMessage: object | string, message?: string): void => {
    const fields = typeof fieldsOrMessage === 'string' ? {} : fieldsOrMessage;
    const msg = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : message;
    const record = { level, time: Date.now(), pid: process.pid, name, ...fields, ...(msg === undefined ? {} : { msg }) };
    try {
      writeSync(fd, `${JSON.stringify(record)}\n`);
    } catch {
      // stderr closed or full: a diagnostic must never stop the log.
    }
  };
  return {
    info: (f, m) => line(LEVELS.info, f, m),
    warn: (f, m) => line(LEVELS.warn, f, m),
    error: (f, m) => line(LEVELS.error, f, m),
    fatal: (f, m) => line(LEVELS.fatal, f, m),
  };
}
