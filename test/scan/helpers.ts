// Plumbing for svscan tests: start bin/svscan on a scan directory in a Sandbox, read its JSON log.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { readExtendedStatus, type ExtendedStatus } from '../../src/protocol/extended-status.ts';

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

export function ext(dir: string): ExtendedStatus | undefined {
  return readExtendedStatus(join(dir, 'supervise'));
}

export function sh(cmd: string, args: string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

export const upPid = (dir: string, timeoutMs = 15_000) => waitFor(`${dir} up`, () => statusPid(dir) || undefined, timeoutMs);

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
