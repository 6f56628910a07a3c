// Fake service directories for the monitoring tests: a real `supervise/ok` fifo held open by the
// test (so probes see a running supervise), the 18-byte status and, optionally, status.json.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeExtendedStatus, type ExtendedStatus } from '../../src/protocol/extended-status.ts';
import { makeFifo } from '../../src/protocol/fifo.ts';
import { encodeStatus, type Want } from '../../src/protocol/status.ts';
import { fromMilliseconds, toMilliseconds } from '../../src/protocol/tai64n.ts';
import type { Sandbox } from '../helpers/sandbox.ts';

export interface FakeOptions {
  pid?: number;
  want?: Want;
  paused?: boolean;
  /** Epoch ms of the last change; default: 100 s ago. */
  sinceMs?: number;
  down?: boolean;
  /** Hold the ok fifo open (a supervise "runs"); default true. */
  running?: boolean;
  /** Write status.json with these fields over consistent defaults; false = no status.json. */
  ext?: Partial<ExtendedStatus> | false;
  notificationFd?: boolean;
}

export class FakeServices {
  private readonly held: number[] = [];
  constructor(private readonly sb: Sandbox) {}

  async make(name: string, o: FakeOptions = {}): Promise<string> {
    const dir = this.sb.path(name);
    mkdirSync(join(dir, 'supervise'), { recursive: true });
    await makeFifo(join(dir, 'supervise/ok'));
    if (o.running !== false) this.held.push(openSync(join(dir, 'supervise/ok'), constants.O_RDONLY | constants.O_NONBLOCK));
    this.setStatus(dir, o);
    if (o.down) writeFileSync(join(dir, 'down'), '');
    if (o.notificationFd) writeFileSync(join(dir, 'notification-fd'), '3\n');
    return dir;
  }

  /** Rewrites status (and status.json) of an existing fake. */
  setStatus(dir: string, o: FakeOptions): void {
    const since = fromMilliseconds(o.sinceMs ?? Date.now() - 100_000);
    const pid = o.pid ?? 0;
    writeFileSync(join(dir, 'supervise/status'), encodeStatus({ since, pid, paused: o.paused ?? false, want: o.want ?? 'up' }));
    if (o.ext !== false && o.ext !== undefined) {
      writeExtendedStatus(join(dir, 'supervise'), {
        version: 1, pid, pgid: pid, pidStartTicks: null, since: toMilliseconds(since), readySince: null, restarts: 0,
        lastExit: null, backoffUntil: null, adopted: false, leftovers: 0, ...o.ext,
      });
    }
  }

  close(): void {
    for (const fd of this.held.splice(0)) closeSync(fd);
  }
}

export function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
