// Plumbing for svscan tests: start bin/svscan on a scan directory in a Sandbox, read its JSON log.
import { readFileSync } from 'node:fs';
import { bin, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';

export { ext, sh, upPid } from '../helpers/sandbox.ts';

export const SVSCAN = bin('svscan');
export const SLEEPER = '#!/bin/sh\nexec sleep 100000\n';

export interface LogRecord {
  level: number;
  msg: string;
  service?: string;
  pid?: number;
  [key: string]: unknown;
}

export type Svscan = ReturnType<Sandbox['spawn']> & { records: () => LogRecord[]; has: (pred: (r: LogRecord) => boolean) => boolean };

/** Starts svscan with JSON messages (and any extra flags) on `scanDir`. */
export function startSvscan(sb: Sandbox, scanDir: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv; command?: string[] } = {}): Svscan {
  const argv = [...(options.command ?? []), SVSCAN, scanDir, '--log-format', 'json', ...args];
  const child = sb.spawn(argv[0]!, argv.slice(1), { env: options.env });
  const records = (): LogRecord[] => child.output().split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
    try { return [JSON.parse(l) as LogRecord]; } catch { return []; }
  });
  return Object.assign(child, { records, has: (pred: (r: LogRecord) => boolean) => records().some(pred) });
}


/** Waits for a pid different from `old` in DIR/supervise/status. */
export const newPid = (dir: string, old: number, timeoutMs = 15_000) =>
  waitFor(`${dir} to run a new pid`, () => { const p = statusPid(dir); return p && p !== old ? p : undefined; }, timeoutMs);

export async function exitOf(child: Svscan, timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  await waitFor('svscan to exit', () => child.exitCode !== null || child.signalCode !== null, timeoutMs);
  return { code: child.exitCode, signal: child.signalCode };
}

export function readText(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}
